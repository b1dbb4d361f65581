"""pm_sprints."""

from __future__ import annotations

from pm.core.enums import SprintStatus
from pm.core.sprints import UPDATABLE_FIELDS, Sprint
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(Sprint)
_row = mapper(Sprint, status=SprintStatus)
_WRITE_FIELDS = (*UPDATABLE_FIELDS, "version", "updated_at", "updated_by", "deleted_at")

_GET = sql(f"SELECT {COLS} FROM pm_sprints WHERE id = :id AND deleted_at IS NULL")
_LIST = sql(
    f"SELECT {COLS} FROM pm_sprints WHERE project_id = :project_id "
    "AND deleted_at IS NULL ORDER BY start_date, id"
)
_ACTIVE = sql(
    f"SELECT {COLS} FROM pm_sprints WHERE project_id = :project_id "
    "AND status = 'active' AND deleted_at IS NULL"
)
_INSERT = insert_query("pm_sprints", Sprint)
_UPDATE = update_query("pm_sprints", _WRITE_FIELDS)
_DELETE_PROJECT = sql(
    "UPDATE pm_sprints SET deleted_at = :now, updated_at = :now, "
    "updated_by = :user_id, version = version + 1 "
    "WHERE project_id = :project_id AND deleted_at IS NULL"
)


async def get(ex: Executor, sprint_id: str) -> Sprint | None:
    """A live sprint by id."""
    row = await ex.one(_GET, {"id": sprint_id})
    return None if row is None else _row(row)


async def list_for_project(ex: Executor, project_id: str) -> list[Sprint]:
    """Live sprints of a project, by start date."""
    return [_row(r) for r in await ex.all(_LIST, {"project_id": project_id})]


async def active(ex: Executor, project_id: str) -> Sprint | None:
    """The project's active sprint, if any."""
    row = await ex.one(_ACTIVE, {"project_id": project_id})
    return None if row is None else _row(row)


async def insert(ex: Executor, sprint: Sprint) -> None:
    """Store a new sprint."""
    await ex.run(*_INSERT.one(sprint))


async def update(ex: Executor, sprint: Sprint) -> None:
    """Store a changed sprint."""
    await ex.run(_UPDATE, params(sprint, (*_WRITE_FIELDS, "id")))


async def delete_for_project(ex: Executor, project_id: str, now: int, user_id: str) -> int:
    """Soft-delete every live sprint of a project."""
    return await ex.run(_DELETE_PROJECT, {"project_id": project_id, "now": now, "user_id": user_id})
