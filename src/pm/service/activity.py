"""Reading the activity log: an entity's history, a project's feed, the tenant's feed."""

from __future__ import annotations

from pm.core.activity import ActivityEntry
from pm.core.enums import EntityType
from pm.core.errors import InvalidInput
from pm.core.records import record
from pm.db.repos import activity as repo
from pm.service import access, lookups
from pm.service.access import VIEW
from pm.service.uow import Reader

FIRST_PAGE = repo.AFTER_ALL


@record
class ActivityPage:
    """An offset page of an entity's entries (newest first) and how many it has in all."""

    entries: list[ActivityEntry]
    total_count: int
    has_more: bool


async def list_activity(
    reader: Reader,
    entity_type: EntityType | None,
    entity_id: str | None,
    before: str,
    limit: int,
) -> list[ActivityEntry]:
    """One entity's entries (both filters given) or the whole tenant's (neither), newest first."""
    if entity_type is None and entity_id is None:
        access.require_tenant_admin(reader, "the tenant-wide activity feed")
        return await repo.recent(reader.ex, before, limit)
    if entity_type is None or entity_id is None:
        missing = "entity_type" if entity_type is None else "entity_id"
        raise InvalidInput(
            "entity_type and entity_id filter together: give both or neither", field=missing
        )
    await _may_read_history(reader, entity_type, entity_id)
    return await repo.for_entity(reader.ex, entity_type, entity_id, before, limit)


async def _may_read_history(reader: Reader, entity_type: EntityType, entity_id: str) -> None:
    """An entity's history is readable by the viewers of its project (it may be deleted)."""
    known, project_id = await repo.project_of(reader.ex, entity_type, entity_id)
    if not known:
        return  # no history: nothing to show, nothing to hide
    if project_id is None:
        access.require_tenant_admin(reader, "this history")
        return
    await lookups.guard(reader, project_id, VIEW, entity_type.value.replace("_", " "), entity_id)


async def work_item_activity(
    reader: Reader, id_or_key: str, before: str, limit: int
) -> list[ActivityEntry]:
    """A live work item's entries (by id or key), newest first."""
    item = await lookups.work_item(reader, id_or_key, VIEW)
    return await repo.for_entity(reader.ex, EntityType.WORK_ITEM, item.id, before, limit)


async def project_activity(
    reader: Reader, project_id: str, before: str, limit: int
) -> list[ActivityEntry]:
    """Entries of a live project and everything in it, newest first."""
    project_id = (await lookups.project(reader, project_id, VIEW)).id
    return await repo.for_project(reader.ex, project_id, before, limit)


async def entity_activity_page(
    reader: Reader, entity_type: EntityType, entity_id: str, limit: int, offset: int
) -> ActivityPage:
    """An offset page of one entity's entries, newest first, with the total count."""
    await _may_read_history(reader, entity_type, entity_id)
    rows, total = await repo.for_entity_page(reader.ex, entity_type, entity_id, limit, offset)
    return ActivityPage(rows, total, offset + len(rows) < total)
