"""pm_dependencies."""

from __future__ import annotations

from pm.core.dependencies import Dependency
from pm.core.enums import DependencyType
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper

COLS = columns(Dependency)
_row = mapper(Dependency, dependency_type=DependencyType)

_GET = sql(f"SELECT {COLS} FROM pm_dependencies WHERE id = :id AND deleted_at IS NULL")
_BETWEEN = sql(
    f"SELECT {COLS} FROM pm_dependencies WHERE deleted_at IS NULL AND "
    "((blocking_item_id = :a AND blocked_item_id = :b) OR "
    "(blocking_item_id = :b AND blocked_item_id = :a))"
)
_TOUCHING_PROJECT = sql(
    f"SELECT {COLS} FROM pm_dependencies WHERE deleted_at IS NULL AND ("
    "blocking_item_id IN (SELECT id FROM pm_work_items WHERE project_id = :project_id) OR "
    "blocked_item_id IN (SELECT id FROM pm_work_items WHERE project_id = :project_id)) "
    "ORDER BY id"
)
# Does `start` (transitively) block `target`? UNION (not ALL) stops at already-seen items.
_REACHES = sql(
    "WITH RECURSIVE r(id) AS ("
    " SELECT blocked_item_id FROM pm_dependencies WHERE blocking_item_id = :start"
    " AND dependency_type = 'blocks' AND deleted_at IS NULL"
    " UNION"
    " SELECT d.blocked_item_id FROM pm_dependencies d JOIN r ON d.blocking_item_id = r.id"
    " WHERE d.dependency_type = 'blocks' AND d.deleted_at IS NULL"
    ") SELECT 1 FROM r WHERE id = :target LIMIT 1"
)
_INSERT = insert_query("pm_dependencies", Dependency)
_DELETE = sql("UPDATE pm_dependencies SET deleted_at = :now WHERE id = :id")
_TOUCHING = sql(
    f"SELECT {COLS} FROM pm_dependencies WHERE deleted_at IS NULL "
    "AND (blocking_item_id = :id OR blocked_item_id = :id) ORDER BY id"
)


async def get(ex: Executor, dependency_id: str) -> Dependency | None:
    """A live dependency by id."""
    row = await ex.one(_GET, {"id": dependency_id})
    return None if row is None else _row(row)


async def between(ex: Executor, a: str, b: str) -> Dependency | None:
    """The live dependency linking two items, in either direction."""
    row = await ex.one(_BETWEEN, {"a": a, "b": b})
    return None if row is None else _row(row)


async def blocks_transitively(ex: Executor, start: str, target: str) -> bool:
    """True when `start` blocks `target` directly or through other items."""
    return await ex.one(_REACHES, {"start": start, "target": target}) is not None


async def touching_project(ex: Executor, project_id: str) -> list[Dependency]:
    """Every live dependency with an item of the project on either side."""
    return [_row(r) for r in await ex.all(_TOUCHING_PROJECT, {"project_id": project_id})]


async def touching(ex: Executor, item_id: str) -> list[Dependency]:
    """Every live dependency with the item on either side."""
    return [_row(r) for r in await ex.all(_TOUCHING, {"id": item_id})]


async def insert(ex: Executor, dependency: Dependency) -> None:
    """Store a new dependency."""
    await ex.run(*_INSERT.one(dependency))


async def delete(ex: Executor, dependency_id: str, now: int) -> None:
    """Soft-delete a dependency."""
    await ex.run(_DELETE, {"id": dependency_id, "now": now})
