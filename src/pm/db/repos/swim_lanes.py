"""pm_swim_lanes."""

from __future__ import annotations

from collections.abc import Sequence

from pm.core.swim_lanes import DONE_STATUS, UPDATABLE_FIELDS, SwimLane
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(SwimLane)
_row = mapper(SwimLane, is_default=bool)
_WRITE_FIELDS = (*UPDATABLE_FIELDS, "updated_at", "deleted_at")

_GET = sql(f"SELECT {COLS} FROM pm_swim_lanes WHERE id = :id AND deleted_at IS NULL")
_LIST = sql(
    f"SELECT {COLS} FROM pm_swim_lanes WHERE project_id = :project_id "
    "AND deleted_at IS NULL ORDER BY position, id"
)
_STATUSES = sql(
    "SELECT status_value FROM pm_swim_lanes WHERE project_id = :project_id "
    "AND deleted_at IS NULL ORDER BY position, id"
)


def done_statuses(project: str = ":project_id") -> str:
    """A subquery of the status values that count as done in `project` (a parameter, or a
    column of the enclosing statement for a correlated check), for `status IN (...)`.

    The rule is `pm.core.swim_lanes.done_statuses`: the Done lane and every lane after it.
    """
    return (
        f"SELECT dl.status_value FROM pm_swim_lanes dl WHERE dl.project_id = {project} "
        "AND dl.deleted_at IS NULL AND dl.position >= (SELECT dd.position FROM pm_swim_lanes dd "
        f"WHERE dd.project_id = {project} AND dd.status_value = '{DONE_STATUS}' "
        "AND dd.deleted_at IS NULL)"
    )


_INSERT = insert_query("pm_swim_lanes", SwimLane)
_UPDATE = update_query("pm_swim_lanes", _WRITE_FIELDS)


async def get(ex: Executor, lane_id: str) -> SwimLane | None:
    """A live lane by id."""
    row = await ex.one(_GET, {"id": lane_id})
    return None if row is None else _row(row)


async def list_for_project(ex: Executor, project_id: str) -> list[SwimLane]:
    """A project's live lanes, in board order."""
    return [_row(r) for r in await ex.all(_LIST, {"project_id": project_id})]


async def statuses(ex: Executor, project_id: str) -> list[str]:
    """A project's lane status values, in board order."""
    return [r[0] for r in await ex.all(_STATUSES, {"project_id": project_id})]


async def insert(ex: Executor, lane: SwimLane) -> None:
    """Store a new lane."""
    await ex.run(*_INSERT.one(lane))


async def insert_many(ex: Executor, lanes: Sequence[SwimLane]) -> None:
    """Store new lanes."""
    await ex.run_many(*_INSERT.many(lanes))


async def update(ex: Executor, lane: SwimLane) -> None:
    """Store a changed lane."""
    await ex.run(_UPDATE, params(lane, (*_WRITE_FIELDS, "id")))
