"""pm_time_entries."""

from __future__ import annotations

from pm.core.time_entries import UPDATABLE_FIELDS, TimeEntry
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(TimeEntry)
_row = mapper(TimeEntry)
_WRITE_FIELDS = (*UPDATABLE_FIELDS, "updated_at", "deleted_at")

_GET = sql(f"SELECT {COLS} FROM pm_time_entries WHERE id = :id AND deleted_at IS NULL")
_RUNNING = sql(
    f"SELECT {COLS} FROM pm_time_entries WHERE user_id = :user_id "
    "AND ended_at IS NULL AND deleted_at IS NULL"
)
_RUNNING_ON = sql(
    f"SELECT {COLS} FROM pm_time_entries WHERE work_item_id = :work_item_id "
    "AND ended_at IS NULL AND deleted_at IS NULL"
)
_LIST = sql(
    f"SELECT {COLS} FROM pm_time_entries WHERE work_item_id = :work_item_id "
    "AND deleted_at IS NULL ORDER BY started_at DESC, id DESC LIMIT :limit OFFSET :offset"
)
_COUNT = sql(
    "SELECT COUNT(*) FROM pm_time_entries WHERE work_item_id = :work_item_id AND deleted_at IS NULL"
)
_INSERT = insert_query("pm_time_entries", TimeEntry)
_UPDATE = update_query("pm_time_entries", _WRITE_FIELDS)


async def get(ex: Executor, entry_id: str) -> TimeEntry | None:
    """A live time entry by id."""
    row = await ex.one(_GET, {"id": entry_id})
    return None if row is None else _row(row)


async def running_for_user(ex: Executor, user_id: str) -> TimeEntry | None:
    """The user's running timer, if any."""
    row = await ex.one(_RUNNING, {"user_id": user_id})
    return None if row is None else _row(row)


_RUNNING_IN_PROJECT = sql(
    f"SELECT {COLS} FROM pm_time_entries WHERE project_id = :project_id "
    "AND ended_at IS NULL AND deleted_at IS NULL ORDER BY id"
)


async def running_in_project(ex: Executor, project_id: str) -> list[TimeEntry]:
    """Timers still running on items of a project (any user)."""
    return [_row(r) for r in await ex.all(_RUNNING_IN_PROJECT, {"project_id": project_id})]


async def running_on_item(ex: Executor, work_item_id: str) -> list[TimeEntry]:
    """Timers still running on a work item (any user)."""
    return [_row(r) for r in await ex.all(_RUNNING_ON, {"work_item_id": work_item_id})]


async def list_for_item(
    ex: Executor, work_item_id: str, limit: int, offset: int
) -> tuple[list[TimeEntry], int]:
    """A page of a work item's entries (newest first) and the total count."""
    rows = await ex.all(_LIST, {"work_item_id": work_item_id, "limit": limit, "offset": offset})
    total = await ex.one(_COUNT, {"work_item_id": work_item_id})
    return [_row(r) for r in rows], int(total[0]) if total else 0


async def insert(ex: Executor, entry: TimeEntry) -> None:
    """Store a new time entry."""
    await ex.run(*_INSERT.one(entry))


async def update(ex: Executor, entry: TimeEntry) -> None:
    """Store a changed time entry."""
    await ex.run(_UPDATE, params(entry, (*_WRITE_FIELDS, "id")))
