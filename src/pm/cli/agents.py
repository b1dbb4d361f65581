"""pm ready, pm snapshot, pm export, pm import, pm watch."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TransferSpeedColumn

from pm.cli.items import ITEM_COLUMNS
from pm.cli.output import OUTPUT, Json
from pm.cli.runner import FAILURE, USAGE, call, connection, exit_code, fail
from pm.client.api import ApiClient, ApiError
from pm.client.watch import describe, events

Project = Annotated[str, typer.Argument(help="Project id or key")]
CHUNK = 64 * 1024


def ready(
    project: Project,
    assignee: Annotated[str | None, typer.Option(help="Only this assignee's items")] = None,
    sprint: Annotated[str | None, typer.Option(help="Only this sprint's items")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many")] = None,
) -> None:
    """Open work nothing blocks, most important first: what to do next."""
    filters = {"assignee_id": assignee, "sprint_id": sprint, "limit": limit}
    data = call(lambda api: api.ready(project, filters))
    columns = [*ITEM_COLUMNS, ("Unblocks", "unblocks")]
    OUTPUT.result(data, lambda d: OUTPUT.table(_items_of(d), columns, "Ready work"))


def _items_of(data: Json) -> list[Json]:
    return list(data["items"]) if isinstance(data, dict) else list(data)


def snapshot(
    project: Project,
    max_tokens: Annotated[
        int, typer.Option(min=100, help="Token budget (4 characters a token)")
    ] = 4000,
    fmt: Annotated[str, typer.Option("--format", help="markdown or json")] = "markdown",
) -> None:
    """The project's state for an LLM: hierarchy, sprint, blockers, ready work, activity."""
    if fmt not in ("markdown", "json"):
        fail("--format must be markdown or json", USAGE, "VALIDATION_ERROR", "format")
    data = call(lambda api: api.snapshot(project, fmt, max_tokens))
    if OUTPUT.json:
        OUTPUT.result({"snapshot": data} if isinstance(data, str) else data, lambda _: None)
    elif isinstance(data, str):
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
    else:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


class _ProgressFile:
    """A binary file that advances a progress bar as it is written."""

    def __init__(self, out: BinaryIO, progress: Progress, task: TaskID) -> None:
        self._out = out
        self._progress = progress
        self._task = task

    def write(self, data: bytes) -> int:
        return self._out.write(data)

    def progress(self, n: int) -> None:
        self._progress.advance(self._task, n)


def _bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=OUTPUT.err,
        disable=OUTPUT.json or not OUTPUT.err.is_terminal,
    )


ENTITIES = (
    "projects",
    "swim_lanes",
    "members",
    "sprints",
    "work_items",
    "comments",
    "dependencies",
    "time_entries",
    "activity",
)


def export(
    file: Annotated[Path, typer.Argument(help="Where to write the export (JSON)")],
    project: Annotated[str | None, typer.Option(help="Only this project (key)")] = None,
) -> None:
    """Export the tenant (tenant admins) or one project (its admins) to one JSON file."""
    tmp = file.with_name(file.name + ".part")

    async def run(api: ApiClient) -> Json:
        with _bar() as progress, tmp.open("wb") as out:
            task = progress.add_task("export", total=None)
            size = await api.stream_to(
                "/sync/export", {"project": project}, _ProgressFile(out, progress, task)
            )
        return size

    try:
        size = call(run)
    except typer.Exit:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(file)
    counts = _count(file)
    data = {"file": str(file), "bytes": size, "entities": counts}
    OUTPUT.result(
        data,
        lambda d: _counts_table(d["entities"], f"Exported {d['bytes']:,} bytes to {d['file']}"),
    )


def _count(file: Path) -> dict[str, int]:
    try:
        doc = json.loads(file.read_bytes())
    except ValueError:
        fail(f"{file} is not the JSON document the server should have sent", FAILURE)
    return {name: len(doc.get(name, [])) for name in ENTITIES}


def _counts_table(counts: Json, title: str) -> None:
    OUTPUT.out.print(title, markup=False)
    rows = [
        {"entity": k, **(v if isinstance(v, dict) else {"count": v})} for k, v in counts.items()
    ]
    keys = [k for k in ("count", "created", "updated", "skipped") if rows and k in rows[0]]
    OUTPUT.table(rows, [("Entity", "entity"), *((k.title(), k) for k in keys)], "Entities")


def import_(
    file: Annotated[
        Path, typer.Argument(help="An export document (pm export)", exists=True, dir_okay=False)
    ],
    mode: Annotated[str, typer.Option(help="create (into an empty tenant) or merge")] = "create",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check everything, write nothing")
    ] = False,
) -> None:
    """Import an export document into your tenant."""
    if mode not in ("create", "merge"):
        fail("--mode must be create or merge", USAGE, "VALIDATION_ERROR", "mode")
    size = file.stat().st_size

    async def run(api: ApiClient) -> Json:
        with _bar() as progress:
            task = progress.add_task("import", total=size)

            async def chunks() -> AsyncIterator[bytes]:
                with file.open("rb") as src:
                    while block := src.read(CHUNK):
                        progress.advance(task, len(block))
                        yield block
                        await asyncio.sleep(0)

            return await api.import_file(chunks(), mode, dry_run, size)

    data = call(run)
    title = "Would import (dry run)" if dry_run else "Imported"
    OUTPUT.result(data, lambda d: _counts_table(d.get("entities", d), f"{title} {file}"))


def watch(
    project: Project,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many events")] = None,
) -> None:
    """Live events of a project, one line each (reconnects and resumes by itself)."""
    conn = connection()

    async def run() -> None:
        async with ApiClient(conn) as api:
            project_id = await api.project_id(project)
        seen = 0
        OUTPUT.notice(f"watching {project} (Ctrl-C to stop)")
        async for message in events(conn, project_id, on_notice=OUTPUT.notice):
            line = describe(message)
            if OUTPUT.json:
                sys.stdout.write(json.dumps(dataclasses.asdict(line)) + "\n")
            else:
                sys.stdout.write(line.text() + "\n")
            sys.stdout.flush()
            seen += 1
            if count is not None and seen >= count:
                return

    try:
        asyncio.run(run())
    except ApiError as exc:
        fail(exc.message, exit_code(exc), exc.code, exc.field)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


__all__ = ["export", "import_", "ready", "snapshot", "watch"]
