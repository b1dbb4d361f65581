"""What deleting a work item takes with it: its dependencies and its running timers."""

from __future__ import annotations

from dataclasses import replace

from pm.core import time_entries
from pm.core.activity import FieldChange, render
from pm.core.enums import EntityType
from pm.core.work_items import WorkItem
from pm.db.repos import dependencies as dep_repo
from pm.db.repos import time_entries as entry_repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event
from pm.service.uow import UnitOfWork


async def delete_item(uow: UnitOfWork, item: WorkItem) -> None:
    """Soft-delete one item, unlink its dependencies and stop timers running on it."""
    user, now = uow.actor.user_id, uow.now
    for dep in await dep_repo.touching(uow.ex, item.id):
        await dep_repo.delete(uow.ex, dep.id, now)
        uow.log(
            EntityType.DEPENDENCY,
            dep.id,
            item.project_id,
            "deleted",
            comment=f"work item {item.key} was deleted",
        )
        uow.emit(
            Event(
                "dependency_deleted",
                user,
                dep.id,
                item.project_id,
                work_item_ids=(dep.blocking_item_id, dep.blocked_item_id),
                extra={
                    "blocking_item_id": dep.blocking_item_id,
                    "blocked_item_id": dep.blocked_item_id,
                },
            )
        )
    for entry in await entry_repo.running_on_item(uow.ex, item.id):
        stopped = time_entries.stop(entry, now)
        await entry_repo.update(uow.ex, stopped)
        uow.log(
            EntityType.TIME_ENTRY,
            entry.id,
            item.project_id,
            "stopped",
            [FieldChange("ended_at", None, render(stopped.ended_at))],
            comment=f"work item {item.key} was deleted",
        )
        uow.emit(
            Event(
                "timer_stopped", user, entry.id, item.project_id, stopped, work_item_ids=(item.id,)
            )
        )
    await item_repo.update(
        uow.ex,
        replace(item, deleted_at=now, updated_at=now, updated_by=user, version=item.version + 1),
    )
    uow.log(EntityType.WORK_ITEM, item.id, item.project_id, "deleted")
    uow.emit(
        Event(
            "work_item_deleted",
            user,
            item.id,
            item.project_id,
            sprint_ids=tuple(s for s in (item.sprint_id,) if s),
            work_item_ids=tuple(i for i in (item.id, item.parent_id) if i),
        )
    )
