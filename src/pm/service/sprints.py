"""Sprint use cases: plan, run and close sprints; deleting one returns its items to the backlog."""

from __future__ import annotations

from dataclasses import replace
from typing import TypedDict

from pm.core import activity, projects, sprints
from pm.core.enums import EntityType, SprintStatus
from pm.core.ids import new_id
from pm.core.records import evolve, record
from pm.core.sprints import Sprint
from pm.core.versioning import bump, check_version
from pm.core.work_items import WorkItem
from pm.db.repos import sprints as repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event, EventKind
from pm.service import lookups
from pm.service.access import EDIT, VIEW
from pm.service.uow import Reader, UnitOfWork


@record
class NewSprint:
    """What a caller supplies to plan a sprint."""

    name: str
    start_date: int
    end_date: int
    goal: str | None = None


class SprintPatch(TypedDict, total=False):
    """Fields of a sprint an update may set (a present None clears the goal)."""

    name: str
    goal: str | None
    start_date: int
    end_date: int
    status: SprintStatus


async def create_sprint(uow: UnitOfWork, project_id: str, new: NewSprint) -> Sprint:
    """Plan a new sprint in a project."""
    project_id = (await lookups.project(uow, project_id, EDIT)).id
    name = projects.validate_title(new.name, "name")
    sprints.validate_dates(new.start_date, new.end_date)
    user, now = uow.actor.user_id, uow.now
    sprint = Sprint(
        new_id(),
        project_id,
        name,
        new.goal,
        new.start_date,
        new.end_date,
        SprintStatus.PLANNED,
        1,
        now,
        now,
        user,
        user,
        None,
    )
    await repo.insert(uow.ex, sprint)
    uow.log(EntityType.SPRINT, sprint.id, project_id, "created")
    uow.emit(
        Event(
            EventKind.SPRINT_CREATED, user, sprint.id, project_id, sprint, sprint_ids=(sprint.id,)
        )
    )
    return sprint


async def get_sprint(reader: Reader, sprint_id: str) -> Sprint:
    """A live sprint."""
    return await lookups.sprint(reader, sprint_id, VIEW)


async def list_sprints(
    reader: Reader, project_id: str, status: SprintStatus | None = None
) -> list[Sprint]:
    """A project's live sprints by start date, optionally only those with `status`."""
    project_id = (await lookups.project(reader, project_id, VIEW)).id
    found = await repo.list_for_project(reader.ex, project_id)
    return found if status is None else [s for s in found if s.status is status]


async def update_sprint(
    uow: UnitOfWork, sprint_id: str, patch: SprintPatch, expected_version: int | None = None
) -> Sprint:
    """Rename, re-date or move a sprint through its lifecycle."""
    current = await lookups.sprint(uow, sprint_id, EDIT)
    check_version(current, expected_version, "sprint")
    if "name" in patch:
        patch["name"] = projects.validate_title(patch["name"], "name")
    changed = replace(current, **patch)
    sprints.validate_dates(changed.start_date, changed.end_date)
    if changed.status is not current.status:
        sprints.validate_transition(current.status, changed.status)
        sprints.validate_single_active(
            changed.status, await repo.active(uow.ex, current.project_id)
        )
    changes = activity.diff(current, changed, sprints.UPDATABLE_FIELDS)
    if not changes:
        return current
    user = uow.actor.user_id
    changed = evolve(changed, **bump(changed, uow.now, user))
    await repo.update(uow.ex, changed)
    uow.log(EntityType.SPRINT, sprint_id, changed.project_id, "updated", changes)
    uow.emit(
        Event(
            EventKind.SPRINT_UPDATED,
            user,
            sprint_id,
            changed.project_id,
            changed,
            tuple(changes),
            sprint_ids=(sprint_id,),
        )
    )
    return changed


async def delete_sprint(
    uow: UnitOfWork, sprint_id: str, expected_version: int | None = None
) -> None:
    """Soft-delete a sprint; its stories and tasks go back to the backlog."""
    sprint = await lookups.sprint(uow, sprint_id, EDIT)
    check_version(sprint, expected_version, "sprint")
    user, now = uow.actor.user_id, uow.now
    for item in await item_repo.list_in_sprint(uow.ex, sprint_id):
        await _to_backlog(uow, item, sprint)
    await repo.update(uow.ex, evolve(sprint, deleted_at=now, **bump(sprint, now, user)))
    uow.log(EntityType.SPRINT, sprint_id, sprint.project_id, "deleted")
    uow.emit(
        Event(EventKind.SPRINT_DELETED, user, sprint_id, sprint.project_id, sprint_ids=(sprint_id,))
    )


async def _to_backlog(uow: UnitOfWork, item: WorkItem, sprint: Sprint) -> None:
    """Take one item out of a sprint that is being deleted."""
    user = uow.actor.user_id
    moved = evolve(item, sprint_id=None, **bump(item, uow.now, user))
    changes = activity.diff(item, moved, ("sprint_id",))
    await item_repo.update(uow.ex, moved, ("sprint_id",))
    uow.log(
        EntityType.WORK_ITEM,
        item.id,
        item.project_id,
        "updated",
        changes,
        comment=f"sprint {sprint.name!r} was deleted",
    )
    uow.emit(
        Event(
            EventKind.WORK_ITEM_UPDATED,
            user,
            item.id,
            item.project_id,
            moved,
            tuple(changes),
            sprint_ids=(sprint.id,),
            work_item_ids=tuple(i for i in (item.id, item.parent_id) if i),
        )
    )
