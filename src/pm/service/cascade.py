"""What deleting a work item or a project takes with it: links, running timers, children."""

from __future__ import annotations

from pm.core.dependencies import Dependency
from pm.core.enums import EntityType
from pm.core.records import evolve
from pm.core.versioning import bump
from pm.core.work_items import WorkItem
from pm.db.repos import dependencies as dep_repo
from pm.db.repos import sprints as sprint_repo
from pm.db.repos import time_entries as entry_repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event, EventKind
from pm.service import time_entries as timers
from pm.service.uow import UnitOfWork


async def delete_item(uow: UnitOfWork, item: WorkItem) -> None:
    """Soft-delete one item, unlink its dependencies and stop timers running on it."""
    user, now = uow.actor.user_id, uow.now
    reason = f"work item {item.key} was deleted"
    for dep in await dep_repo.touching(uow.ex, item.id):
        await unlink(uow, dep, item.project_id, reason)
    for entry in await entry_repo.running_on_item(uow.ex, item.id):
        await timers.stop_entry(uow, entry, reason)
    await item_repo.update(
        uow.ex, evolve(item, deleted_at=now, **bump(item, now, user)), ("deleted_at",)
    )
    uow.log(EntityType.WORK_ITEM, item.id, item.project_id, "deleted")
    uow.emit(
        Event(
            EventKind.WORK_ITEM_DELETED,
            user,
            item.id,
            item.project_id,
            sprint_ids=tuple(s for s in (item.sprint_id,) if s),
            work_item_ids=tuple(i for i in (item.id, item.parent_id) if i),
        )
    )


async def delete_project_contents(uow: UnitOfWork, project_id: str, key: str) -> tuple[int, int]:
    """Unlink the project's items from other items, stop timers on them, delete them and the
    sprints; returns (items, sprints) deleted."""
    reason = f"project {key} was deleted"
    for dep in await dep_repo.touching_project(uow.ex, project_id):
        await unlink(uow, dep, project_id, reason)
    for entry in await entry_repo.running_in_project(uow.ex, project_id):
        await timers.stop_entry(uow, entry, reason)
    user, now = uow.actor.user_id, uow.now
    items = await item_repo.delete_for_project(uow.ex, project_id, now, user)
    sprints = await sprint_repo.delete_for_project(uow.ex, project_id, now, user)
    return items, sprints


async def unlink(uow: UnitOfWork, dep: Dependency, project_id: str, reason: str) -> None:
    """Soft-delete a dependency because one of its items goes away."""
    await dep_repo.delete(uow.ex, dep.id, uow.now)
    uow.log(EntityType.DEPENDENCY, dep.id, project_id, "deleted", comment=reason)
    uow.emit(
        Event(
            EventKind.DEPENDENCY_DELETED,
            uow.actor.user_id,
            dep.id,
            project_id,
            work_item_ids=(dep.blocking_item_id, dep.blocked_item_id),
            extra={
                "blocking_item_id": dep.blocking_item_id,
                "blocked_item_id": dep.blocked_item_id,
            },
        )
    )
