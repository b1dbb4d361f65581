"""Dependency use cases: link two work items (blocks / relates_to), unlink, list an item's links."""

from __future__ import annotations

from pm.core import dependencies
from pm.core.dependencies import Dependency, ItemDependencies
from pm.core.enums import DependencyType, EntityType
from pm.core.errors import NotFound
from pm.core.ids import new_id
from pm.db.repos import dependencies as repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event, EventKind
from pm.service import lookups
from pm.service.access import EDIT, VIEW
from pm.service.uow import Reader, UnitOfWork


async def list_dependencies(reader: Reader, id_or_key: str) -> ItemDependencies:
    """What blocks a work item, what it blocks, and what relates to it."""
    item = await lookups.work_item(reader, id_or_key, VIEW)
    return dependencies.partition(item.id, await repo.touching(reader.ex, item.id))


async def create_dependency(
    uow: UnitOfWork, blocking_item_id: str, blocked_item_id: str, kind: DependencyType
) -> Dependency:
    """Link two work items of the tenant (possibly in different projects)."""
    ex = uow.ex
    blocking = await lookups.visible_item(uow, blocking_item_id, "blocking_item_id", EDIT)
    blocked = await lookups.visible_item(uow, blocked_item_id, "blocked_item_id", EDIT)
    first, second = dependencies.normalise(blocking.id, blocked.id, kind)
    # validate_new only asks whether `first` is reachable from `second`: one recursive query.
    reachable = {first} if await repo.blocks_transitively(ex, second, first) else set()
    existing = await repo.between(ex, first, second)
    dependencies.validate_new(first, second, kind, existing, reachable)
    user = uow.actor.user_id
    dep = Dependency(new_id(), first, second, kind, uow.now, user, None)
    await repo.insert(ex, dep)
    items = {blocking.id: blocking, blocked.id: blocked}
    project_id = items[first].project_id
    uow.log(
        EntityType.DEPENDENCY,
        dep.id,
        project_id,
        "created",
        comment=f"{items[first].key} {kind.value} {items[second].key}",
    )
    uow.emit(
        Event(
            EventKind.DEPENDENCY_CREATED,
            user,
            dep.id,
            project_id,
            dep,
            work_item_ids=(first, second),
            extra={"blocking_item_id": first, "blocked_item_id": second},
        )
    )
    return dep


async def delete_dependency(uow: UnitOfWork, dependency_id: str) -> Dependency:
    """Remove a link between two work items; returns the removed link."""
    dep = await repo.get(uow.ex, dependency_id)
    blocking = None if dep is None else await item_repo.get(uow.ex, dep.blocking_item_id)
    blocked = None if dep is None else await item_repo.get(uow.ex, dep.blocked_item_id)
    if dep is None or blocking is None or blocked is None:
        raise NotFound("dependency", dependency_id)
    # Like creating one: editors of both items' projects may remove a link.
    for project_id in {blocking.project_id, blocked.project_id}:
        await lookups.guard(uow, project_id, EDIT, "dependency", dependency_id)
    await repo.delete(uow.ex, dep.id, uow.now)
    uow.log(EntityType.DEPENDENCY, dep.id, blocking.project_id, "deleted")
    uow.emit(
        Event(
            EventKind.DEPENDENCY_DELETED,
            uow.actor.user_id,
            dep.id,
            blocking.project_id,
            work_item_ids=(dep.blocking_item_id, dep.blocked_item_id),
            extra={
                "blocking_item_id": dep.blocking_item_id,
                "blocked_item_id": dep.blocked_item_id,
            },
        )
    )
    return dep
