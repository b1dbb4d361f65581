"""pm item list|show|create|update|move|delete."""

from __future__ import annotations

from typing import Annotated

import typer

from pm.cli.output import OUTPUT, Json, escape, text
from pm.cli.runner import call
from pm.client.api import ApiClient

app = typer.Typer(help="Epics, stories and tasks.", no_args_is_help=True)
ITEM_COLUMNS = [
    ("Key", "key"),
    ("Type", "item_type"),
    ("Status", "status"),
    ("Priority", "priority"),
    ("Pts", "story_points"),
    ("Assignee", "assignee_id"),
    ("Title", "title"),
]
ITEM_FIELDS = (
    "key",
    "id",
    "item_type",
    "title",
    "status",
    "priority",
    "story_points",
    "assignee_id",
    "sprint_id",
    "parent_id",
    "version",
    "description",
    "updated_at",
    "updated_by",
)
Item = Annotated[str, typer.Argument(help="Work item key (PONE-42) or id")]
Project = Annotated[str, typer.Argument(help="Project id or key")]
Version = Annotated[
    int | None,
    typer.Option(
        "--expected-version", help="Refuse (exit 5) if the item changed since this version"
    ),
]
Title = Annotated[str | None, typer.Option(help="Title")]
Description = Annotated[str | None, typer.Option(help="Markdown description")]
Priority = Annotated[str | None, typer.Option(help="critical, high, medium or low")]
Points = Annotated[int | None, typer.Option(help="Story points")]
Assignee = Annotated[str | None, typer.Option(help="Assignee's user id ('' to unassign)")]
Sprint = Annotated[str | None, typer.Option(help="Sprint id ('' for the backlog)")]


@app.command("list")
def list_items(
    project: Project,
    status: Annotated[
        str | None, typer.Option(help="Only this status (a lane's status value)")
    ] = None,
    item_type: Annotated[str | None, typer.Option("--type", help="epic, story or task")] = None,
    assignee: Annotated[
        str | None, typer.Option(help="Only items assigned to this user id")
    ] = None,
    sprint: Annotated[str | None, typer.Option(help="Only items of this sprint id")] = None,
    q: Annotated[str | None, typer.Option(help="Text in the title or description")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many")] = 50,
) -> None:
    """A project's work items, by number."""
    filters = {
        "status": status,
        "item_type": item_type,
        "assignee_id": assignee,
        "sprint_id": sprint,
        "q": q,
    }
    data = call(lambda api: api.list_items(project, filters, limit))
    OUTPUT.result(data, lambda rows: OUTPUT.table(rows, ITEM_COLUMNS, "Work items"))


@app.command("show")
def show(item: Item) -> None:
    """A work item with its comments, dependencies and recent activity."""

    async def gather(api: ApiClient) -> Json:
        detail = await api.get_item(item)
        return {
            "work_item": detail,
            "comments": await api.list_comments(detail["id"]),
            "dependencies": await api.list_dependencies(detail["id"]),
            "activity": await api.item_activity(detail["id"]),
        }

    OUTPUT.result(call(gather), _show_human)


def _show_human(data: Json) -> None:
    item = data["work_item"]
    OUTPUT.fields(item, ITEM_FIELDS, f"{item['key']} {item['title']}")
    deps = data["dependencies"]
    for label, rows, side in (
        ("Blocked by", deps.get("blocking", []), "blocking_item_id"),
        ("Blocks", deps.get("blocked", []), "blocked_item_id"),
        ("Related", deps.get("related", []), "blocked_item_id"),
    ):
        if rows:
            OUTPUT.out.print(f"[bold]{label}[/bold]: " + escape(", ".join(r[side] for r in rows)))
    for comment in data["comments"]:
        when = text(comment["created_at"], "created_at")
        OUTPUT.out.print(f"[bold]{escape(comment['created_by'])}[/bold] [dim]{when}[/dim]")
        OUTPUT.out.print(comment["content"], markup=False)
    if data["activity"]:
        OUTPUT.table(
            data["activity"],
            [
                ("When", "timestamp"),
                ("Who", "user_id"),
                ("Action", "action"),
                ("Field", "field_name"),
                ("From", "old_value"),
                ("To", "new_value"),
            ],
            "Activity",
        )


def _cleared(value: str | None) -> object:
    """'' on the command line clears a field (sent as null); None leaves it out."""
    return None if value is None else (value or None)


def _update_fields(**given: object) -> dict[str, object]:
    fields = {k: v for k, v in given.items() if v is not None}
    for name in ("assignee_id", "sprint_id", "description", "parent_id"):
        if name in fields:
            fields[name] = _cleared(str(fields[name]))
    return fields


@app.command("create")
def create(
    project: Project,
    item_type: Annotated[str, typer.Option("--type", help="epic, story or task")],
    title: Annotated[str, typer.Option(help="Title")],
    parent: Annotated[str | None, typer.Option(help="Parent item key or id")] = None,
    description: Description = None,
    priority: Priority = None,
    points: Points = None,
    assignee: Assignee = None,
    sprint: Sprint = None,
) -> None:
    """Create an epic, story or task."""

    async def run(api: ApiClient) -> Json:
        parent_id = await api.item_id(parent) if parent else None
        fields = {
            "item_type": item_type,
            "title": title,
            "parent_id": parent_id,
            "description": description,
            "priority": priority,
            "story_points": points,
            "assignee_id": assignee,
            "sprint_id": sprint,
        }
        return await api.create_item(project, fields)

    OUTPUT.result(
        call(run), lambda i: OUTPUT.out.print(f"Created {i['key']} ({i['id']})", markup=False)
    )


@app.command("update")
def update(
    item: Item,
    title: Title = None,
    description: Description = None,
    priority: Priority = None,
    points: Points = None,
    assignee: Assignee = None,
    sprint: Sprint = None,
    expected_version: Version = None,
) -> None:
    """Change fields of a work item (only those given)."""
    fields = _update_fields(
        title=title,
        description=description,
        priority=priority,
        story_points=points,
        assignee_id=assignee,
        sprint_id=sprint,
    )
    data = call(lambda api: api.update_item(item, fields, expected_version))
    OUTPUT.result(
        data,
        lambda i: OUTPUT.out.print(f"Updated {i['key']} (version {i['version']})", markup=False),
    )


@app.command("move")
def move(
    item: Item,
    status: Annotated[str, typer.Argument(help="The new status (a lane's status value)")],
    expected_version: Version = None,
) -> None:
    """Move a work item to another status (column)."""
    data = call(lambda api: api.update_item(item, {"status": status}, expected_version))
    OUTPUT.result(
        data, lambda i: OUTPUT.out.print(f"{i['key']} is now {i['status']}", markup=False)
    )


@app.command("delete")
def delete(item: Item, expected_version: Version = None) -> None:
    """Delete a work item and everything below it."""

    async def run(api: ApiClient) -> Json:
        await api.delete_item(item, expected_version)
        return {"deleted": item}

    OUTPUT.result(call(run), lambda d: OUTPUT.out.print(f"Deleted {d['deleted']}", markup=False))
