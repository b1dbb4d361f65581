"""pm sprint …, pm comment …, pm timer …, pm dep …"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from pm.cli.output import OUTPUT, Json, escape, text
from pm.cli.runner import NOT_FOUND, call, fail
from pm.client.api import ApiClient, ApiError

sprints = typer.Typer(help="Sprints: plan, start, complete.", no_args_is_help=True)
comments = typer.Typer(help="Comments on work items.", no_args_is_help=True)
timers = typer.Typer(help="Your running timer.", no_args_is_help=True)
deps = typer.Typer(help="Dependencies between work items.", no_args_is_help=True)

Item = Annotated[str, typer.Argument(help="Work item key (PONE-42) or id")]
Project = Annotated[str, typer.Argument(help="Project id or key")]
SprintId = Annotated[str, typer.Argument(help="Sprint id")]
SPRINT_COLUMNS = [
    ("Name", "name"),
    ("Status", "status"),
    ("Start", "start_date"),
    ("End", "end_date"),
    ("Goal", "goal"),
    ("Id", "id"),
]


def when(value: str, option: str) -> int:
    """A date (YYYY-MM-DD, UTC), a date and time (ISO 8601) or Unix seconds."""
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"{option} must be a date like 2026-12-01 or Unix seconds, not {value!r}",
            2,
            "VALIDATION_ERROR",
            option.lstrip("-"),
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


@sprints.command("list")
def list_sprints(project: Project) -> None:
    """A project's sprints."""
    data = call(lambda api: api.list_sprints(project))
    OUTPUT.result(data, lambda rows: OUTPUT.table(rows, SPRINT_COLUMNS, "Sprints"))


@sprints.command("create")
def create_sprint(
    project: Project,
    name: Annotated[str, typer.Option(help="The sprint's name")],
    start: Annotated[str, typer.Option(help="Start date (YYYY-MM-DD) or Unix seconds")],
    end: Annotated[str, typer.Option(help="End date (YYYY-MM-DD) or Unix seconds")],
    goal: Annotated[str | None, typer.Option(help="The sprint goal")] = None,
) -> None:
    """Plan a sprint."""
    fields = {
        "name": name,
        "goal": goal,
        "start_date": when(start, "--start"),
        "end_date": when(end, "--end"),
    }
    data = call(lambda api: api.create_sprint(project, fields))
    OUTPUT.result(
        data, lambda s: OUTPUT.out.print(f"Planned sprint {s['name']} ({s['id']})", markup=False)
    )


def _set_status(sprint_id: str, status: str, expected_version: int | None) -> None:
    data = call(lambda api: api.update_sprint(sprint_id, {"status": status}, expected_version))
    OUTPUT.result(
        data, lambda s: OUTPUT.out.print(f"Sprint {s['name']} is {s['status']}", markup=False)
    )


Version = Annotated[
    int | None, typer.Option("--expected-version", help="Refuse (exit 5) if changed")
]


@sprints.command("start")
def start_sprint(sprint_id: SprintId, expected_version: Version = None) -> None:
    """Start a planned sprint."""
    _set_status(sprint_id, "active", expected_version)


@sprints.command("complete")
def complete_sprint(sprint_id: SprintId, expected_version: Version = None) -> None:
    """Complete the active sprint."""
    _set_status(sprint_id, "completed", expected_version)


@comments.command("add")
def add_comment(item: Item, content: Annotated[str, typer.Argument(help="Markdown text")]) -> None:
    """Comment on a work item."""
    data = call(lambda api: api.add_comment(item, content))
    OUTPUT.result(
        data, lambda c: OUTPUT.out.print(f"Commented on {item} ({c['id']})", markup=False)
    )


@comments.command("list")
def list_comments(item: Item) -> None:
    """A work item's comments, oldest first."""
    data = call(lambda api: api.list_comments(item))

    def human(rows: Json) -> None:
        if not rows:
            OUTPUT.out.print("(no comments)", style="dim")
        for c in rows:
            stamp = text(c["created_at"], "created_at")
            OUTPUT.out.print(f"[bold]{escape(c['created_by'])}[/bold] [dim]{stamp} {c['id']}[/dim]")
            OUTPUT.out.print(c["content"], markup=False)

    OUTPUT.result(data, human)


def _timer_line(entry: Json) -> str:
    started = text(entry["started_at"], "started_at")
    note = f" — {entry['description']}" if entry.get("description") else ""
    return f"running on {entry['work_item_id']} since {started} UTC ({entry['id']}){note}"


@timers.command("start")
def start_timer(
    item: Item, note: Annotated[str | None, typer.Option(help="What you work on")] = None
) -> None:
    """Start your timer on a work item (the one running stops)."""
    data = call(lambda api: api.start_timer(item, note))

    def human(d: Json) -> None:
        if d.get("stopped_entry"):
            OUTPUT.out.print(
                f"Stopped the timer on {d['stopped_entry']['work_item_id']}", markup=False
            )
        OUTPUT.out.print("Timer " + _timer_line(d["time_entry"]), markup=False)

    OUTPUT.result(data, human)


@timers.command("stop")
def stop_timer() -> None:
    """Stop your running timer."""

    async def run(api: ApiClient) -> Json:
        running = (await api.running_timer())["time_entry"]
        if running is None:
            raise ApiError(404, "NOT_FOUND", "no timer of yours is running")
        return await api.stop_timer(running["id"])

    data = call(run)
    OUTPUT.result(
        data,
        lambda e: OUTPUT.out.print(
            f"Stopped: {e.get('duration_seconds', 0)} s on {e['work_item_id']}", markup=False
        ),
    )


@timers.command("status")
def timer_status() -> None:
    """Your running timer, if any."""
    data = call(lambda api: api.running_timer())
    OUTPUT.result(
        data,
        lambda d: OUTPUT.out.print(
            "Timer " + _timer_line(d["time_entry"]) if d["time_entry"] else "No timer is running",
            markup=False,
        ),
    )


class Link(StrEnum):
    """How two items are linked, as typed on the command line."""

    BLOCKS = "blocks"
    RELATES_TO = "relates-to"


@deps.command("add")
def add_dependency(
    first: Item,
    link: Annotated[Link, typer.Argument(help="blocks or relates-to")],
    second: Item,
) -> None:
    """Link two items: `pm dep add PONE-1 blocks PONE-2`."""
    kind = "blocks" if link is Link.BLOCKS else "relates_to"
    data = call(lambda api: api.add_dependency(first, kind, second))
    OUTPUT.result(
        data,
        lambda d: OUTPUT.out.print(
            f"Linked: {first} {link.value} {second} ({d['id']})", markup=False
        ),
    )


@deps.command("list")
def list_dependencies(item: Item) -> None:
    """What blocks an item, what it blocks, what relates to it."""
    data = call(lambda api: api.list_dependencies(item))

    def human(d: Json) -> None:
        rows = [
            {"link": label, "item": dep[side], "id": dep["id"]}
            for label, key, side in (
                ("blocked by", "blocking", "blocking_item_id"),
                ("blocks", "blocked", "blocked_item_id"),
                ("relates to", "related", "blocked_item_id"),
            )
            for dep in d.get(key, [])
        ]
        OUTPUT.table(rows, [("Link", "link"), ("Item", "item"), ("Id", "id")], "Dependencies")

    OUTPUT.result(data, human)


@deps.command("remove")
def remove_dependency(
    dependency_id: Annotated[str, typer.Argument(help="The dependency's id")],
) -> None:
    """Remove a link."""

    async def run(api: ApiClient) -> Json:
        await api.remove_dependency(dependency_id)
        return {"deleted": dependency_id}

    OUTPUT.result(call(run), lambda d: OUTPUT.out.print(f"Removed {d['deleted']}", markup=False))


__all__ = ["NOT_FOUND", "comments", "deps", "sprints", "timers"]
