"""Project membership use cases: list, add or change a member's role, remove a member."""

from __future__ import annotations

from dataclasses import replace

from pm.core import activity, members
from pm.core.enums import EntityType
from pm.core.errors import NotFound
from pm.core.members import ProjectMember, Role
from pm.db.repos import members as repo
from pm.db.repos import time_entries as entry_repo
from pm.events.types import Event, EventKind
from pm.service import lookups, time_entries
from pm.service.access import ADMIN, VIEW
from pm.service.uow import Reader, UnitOfWork


async def list_members(reader: Reader, project_id: str) -> list[ProjectMember]:
    """The members of a project, by user id."""
    project_id = (await lookups.project(reader, project_id, VIEW)).id
    return await repo.list_for_project(reader.ex, project_id)


async def set_member(uow: UnitOfWork, project_id: str, user_id: str, role: Role) -> ProjectMember:
    """Add a user to the project with `role`, or change their role (project admins only)."""
    project_id = (await lookups.project(uow, project_id, ADMIN)).id
    current = await repo.get(uow.ex, project_id, user_id)
    actor, now = uow.actor.user_id, uow.now
    if current is None:
        member = ProjectMember(project_id, user_id, role, now, now, actor, actor)
        await repo.insert(uow.ex, member)
        uow.log(
            EntityType.PROJECT,
            project_id,
            project_id,
            EventKind.MEMBER_ADDED,
            [activity.FieldChange("role", None, role.value)],
            comment=user_id,
        )
        uow.emit(Event(EventKind.MEMBER_ADDED, actor, user_id, project_id, member))
        return member
    if current.role is role:
        return current
    members.check_keeps_an_admin(await repo.list_for_project(uow.ex, project_id), user_id, role)
    changed = replace(current, role=role, updated_at=now, updated_by=actor)
    await repo.update(uow.ex, changed)
    changes = activity.diff(current, changed, members.UPDATABLE_FIELDS)
    uow.log(EntityType.PROJECT, project_id, project_id, "member_updated", changes, comment=user_id)
    uow.emit(Event(EventKind.MEMBER_UPDATED, actor, user_id, project_id, changed, tuple(changes)))
    return changed


async def remove_member(uow: UnitOfWork, project_id: str, user_id: str) -> ProjectMember:
    """Remove a user from the project (admins remove anyone; anyone may leave)."""
    leaving = user_id == uow.actor.user_id
    project_id = (await lookups.project(uow, project_id, VIEW if leaving else ADMIN)).id
    current = await repo.get(uow.ex, project_id, user_id)
    if current is None:
        raise NotFound("member", user_id)
    members.check_keeps_an_admin(await repo.list_for_project(uow.ex, project_id), user_id, None)
    await repo.delete(uow.ex, project_id, user_id)
    running = await entry_repo.running_for_user(uow.ex, user_id)
    if running is not None and running.project_id == project_id:
        # Nobody could stop it any more: the timer ends with the membership.
        await time_entries.stop_entry(uow, running, f"{user_id} left the project")
    uow.log(
        EntityType.PROJECT,
        project_id,
        project_id,
        EventKind.MEMBER_REMOVED,
        [activity.FieldChange("role", current.role.value, None)],
        comment=user_id,
    )
    uow.emit(Event(EventKind.MEMBER_REMOVED, uow.actor.user_id, user_id, project_id, current))
    return current
