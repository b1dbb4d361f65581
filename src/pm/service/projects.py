"""Project use cases."""

from __future__ import annotations

from dataclasses import replace
from typing import TypedDict

from pm.core import activity, projects, swim_lanes
from pm.core.enums import EntityType, ProjectStatus
from pm.core.errors import Conflict
from pm.core.ids import new_id
from pm.core.members import ProjectMember, Role
from pm.core.projects import Project
from pm.core.records import evolve
from pm.core.swim_lanes import SwimLane
from pm.core.versioning import bump, check_version
from pm.db.repos import members as member_repo
from pm.db.repos import projects as repo
from pm.db.repos import swim_lanes as lane_repo
from pm.events.types import Event, EventKind
from pm.service import cascade, lookups
from pm.service.access import ADMIN, VIEW
from pm.service.uow import Reader, UnitOfWork


class ProjectPatch(TypedDict, total=False):
    """Fields of a project an update may set."""

    title: str
    description: str | None
    status: ProjectStatus


async def create_project(
    uow: UnitOfWork, key: str, title: str, description: str | None = None
) -> Project:
    """Create a project with its four default swim lanes."""
    projects.validate_key(key)
    title = projects.validate_title(title)
    if await repo.key_taken(uow.ex, key):
        raise Conflict(f"project key {key!r} is already taken", field="key")
    user, now = uow.actor.user_id, uow.now
    project = Project(
        new_id(), key, title, description, ProjectStatus.ACTIVE, 1, 1, now, now, user, user, None
    )
    await repo.insert(uow.ex, project)
    lanes = [
        SwimLane(new_id(), project.id, name, value, position, True, now, now, None)
        for position, (value, name) in enumerate(swim_lanes.DEFAULT_LANES)
    ]
    await lane_repo.insert_many(uow.ex, lanes)
    # The creator administers the project.
    await member_repo.insert(
        uow.ex, ProjectMember(project.id, user, Role.ADMIN, now, now, user, user)
    )
    uow.log(EntityType.PROJECT, project.id, project.id, "created")
    uow.emit(Event(EventKind.PROJECT_CREATED, user, project.id, project.id, project))
    return project


async def get_project(reader: Reader, project_id: str) -> Project:
    """A live project."""
    return await lookups.project(reader, project_id, VIEW)


async def list_projects(reader: Reader, after: str, limit: int) -> list[Project]:
    """Live projects by key, after the cursor."""
    member = None if reader.actor.is_tenant_admin else reader.actor.user_id
    return await repo.list_live(reader.ex, after, limit, member)


async def update_project(
    uow: UnitOfWork, project_id: str, patch: ProjectPatch, expected_version: int | None = None
) -> Project:
    """Change a project's title, description or status."""
    current = await lookups.project(uow, project_id, ADMIN)
    check_version(current, expected_version, "project")
    if "title" in patch:
        patch["title"] = projects.validate_title(patch["title"])
    changed = replace(current, **patch)
    changes = activity.diff(current, changed, projects.UPDATABLE_FIELDS)
    if not changes:
        return current
    changed = evolve(changed, **bump(changed, uow.now, uow.actor.user_id))
    await repo.update(uow.ex, changed)
    project_id = current.id
    uow.log(EntityType.PROJECT, project_id, project_id, "updated", changes)
    uow.emit(
        Event(
            EventKind.PROJECT_UPDATED,
            uow.actor.user_id,
            project_id,
            project_id,
            changed,
            tuple(changes),
        )
    )
    return changed


async def delete_project(
    uow: UnitOfWork, project_id: str, expected_version: int | None = None
) -> None:
    """Soft-delete a project with its work items and sprints."""
    current = await lookups.project(uow, project_id, ADMIN)
    check_version(current, expected_version, "project")
    user, now = uow.actor.user_id, uow.now
    await repo.update(uow.ex, evolve(current, deleted_at=now, **bump(current, now, user)))
    project_id = current.id
    items, sprints = await cascade.delete_project_contents(uow, project_id, current.key)
    uow.log(
        EntityType.PROJECT,
        project_id,
        project_id,
        "deleted",
        comment=f"with {items} work item(s) and {sprints} sprint(s)",
    )
    uow.emit(Event(EventKind.PROJECT_DELETED, user, project_id, project_id))
