"""pm_activity_log (append-only)."""

from __future__ import annotations

from collections.abc import Sequence

from pm.core.activity import ActivityEntry
from pm.core.enums import EntityType
from pm.db.executor import Executor, Statement
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper

COLS = columns(ActivityEntry)
_row = mapper(ActivityEntry, entity_type=EntityType)

_INSERT = insert_query("pm_activity_log", ActivityEntry)
# Ids are time-ordered (UUIDv7), so "id DESC" is newest first and a stable cursor.
_FOR_ENTITY = sql(
    f"SELECT {COLS} FROM pm_activity_log WHERE entity_type = :entity_type "
    "AND entity_id = :entity_id AND id < :before ORDER BY id DESC LIMIT :limit"
)
_FOR_ENTITY_OFFSET = sql(
    f"SELECT {COLS} FROM pm_activity_log WHERE entity_type = :entity_type "
    "AND entity_id = :entity_id ORDER BY id DESC LIMIT :limit OFFSET :offset"
)
_COUNT_ENTITY = sql(
    "SELECT COUNT(*) FROM pm_activity_log WHERE entity_type = :entity_type "
    "AND entity_id = :entity_id"
)
_FOR_PROJECT = sql(
    f"SELECT {COLS} FROM pm_activity_log WHERE project_id = :project_id "
    "AND id < :before ORDER BY id DESC LIMIT :limit"
)
_RECENT = sql(
    f"SELECT {COLS} FROM pm_activity_log WHERE id < :before ORDER BY id DESC LIMIT :limit"
)

_PROJECT_OF = sql(
    "SELECT project_id FROM pm_activity_log WHERE entity_type = :entity_type "
    "AND entity_id = :entity_id LIMIT 1"
)

AFTER_ALL = "~"  # sorts after every id: the cursor of the first page


async def append(ex: Executor, entries: Sequence[ActivityEntry]) -> None:
    """Record entries."""
    if len(entries) == 1:
        await ex.run(*_INSERT.one(entries[0]))
    elif entries:
        await ex.run_many(*_INSERT.many(entries))


def inserts(entries: Sequence[ActivityEntry]) -> list[Statement]:
    """The statements recording `entries`, one each (for `Executor.write_all`)."""
    return [_INSERT.one(entry) for entry in entries]


async def for_entity(
    ex: Executor, entity_type: EntityType, entity_id: str, before: str, limit: int
) -> list[ActivityEntry]:
    """An entity's entries, newest first, older than the cursor id."""
    rows = await ex.all(
        _FOR_ENTITY,
        {"entity_type": entity_type, "entity_id": entity_id, "before": before, "limit": limit},
    )
    return [_row(r) for r in rows]


async def for_entity_page(
    ex: Executor, entity_type: EntityType, entity_id: str, limit: int, offset: int
) -> tuple[list[ActivityEntry], int]:
    """An offset page of an entity's entries (newest first) and their total count."""
    values = {"entity_type": entity_type, "entity_id": entity_id}
    rows = await ex.all(_FOR_ENTITY_OFFSET, {**values, "limit": limit, "offset": offset})
    total = await ex.one(_COUNT_ENTITY, values)
    return [_row(r) for r in rows], int(total[0]) if total else 0


async def for_project(
    ex: Executor, project_id: str, before: str, limit: int
) -> list[ActivityEntry]:
    """A project's entries (all its entities), newest first, older than the cursor id."""
    rows = await ex.all(_FOR_PROJECT, {"project_id": project_id, "before": before, "limit": limit})
    return [_row(r) for r in rows]


async def recent(ex: Executor, before: str, limit: int) -> list[ActivityEntry]:
    """The tenant's entries (every entity), newest first, older than the cursor id."""
    return [_row(r) for r in await ex.all(_RECENT, {"before": before, "limit": limit})]


async def project_of(
    ex: Executor, entity_type: EntityType, entity_id: str
) -> tuple[bool, str | None]:
    """(whether the entity has any history, the project its history belongs to)."""
    row = await ex.one(_PROJECT_OF, {"entity_type": entity_type, "entity_id": entity_id})
    return (False, None) if row is None else (True, row[0])
