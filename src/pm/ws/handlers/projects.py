"""Project commands: create, update, delete, list."""

from __future__ import annotations

from typing import cast

from pm.core.projects import Project
from pm.events.entities_pb import project_pb, project_status_from_pb
from pm.proto import messages_pb2 as pb
from pm.service import projects as svc
from pm.service.uow import Reader, UnitOfWork
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope, field_changes
from pm.ws.handlers.decoding import expected_version, present

_PAGE = 1000


@command("create_project_request")
async def create_project(ctx: CommandContext) -> bytes:
    """Create a project with its default swim lanes."""
    req = ctx.message.create_project_request
    description = req.description if req.HasField("description") else None
    user = ctx.actor.user_id
    return await ctx.write(
        lambda uow: svc.create_project(uow, req.key, req.title, description),
        lambda project: (
            "project_created",
            pb.ProjectCreated(project=project_pb(project), user_id=user),
        ),
    )


@command("update_project_request")
async def update_project(ctx: CommandContext) -> bytes:
    """Change a project's title, description or status."""
    req = ctx.message.update_project_request
    patch = present(req, ("title", "description"))
    if req.HasField("status"):
        patch["status"] = project_status_from_pb(req.status)
    user = ctx.actor.user_id
    changes: list[pb.FieldChange] = []

    async def run(uow: UnitOfWork) -> Project:
        project = await svc.update_project(
            uow,
            req.project_id,
            cast(svc.ProjectPatch, patch),
            expected_version(req.expected_version),
        )
        changes.extend(field_changes(uow, "project_updated", project.id))
        return project

    return await ctx.write(
        run,
        lambda project: (
            "project_updated",
            pb.ProjectUpdated(project=project_pb(project), changes=changes, user_id=user),
        ),
    )


@command("delete_project_request")
async def delete_project(ctx: CommandContext) -> bytes:
    """Soft-delete a project with its work items and sprints."""
    req = ctx.message.delete_project_request
    user = ctx.actor.user_id
    return await ctx.write(
        lambda uow: svc.delete_project(uow, req.project_id, expected_version(req.expected_version)),
        lambda _: (
            "project_deleted",
            pb.ProjectDeleted(project_id=req.project_id, user_id=user),
        ),
    )


@command("list_projects_request")
async def list_projects(ctx: CommandContext) -> bytes:
    """Every live project of the tenant, by key."""

    async def run(reader: Reader) -> list[Project]:
        found: list[Project] = []
        after = ""
        while True:
            page = await svc.list_projects(reader, after, _PAGE)
            found.extend(page)
            if len(page) < _PAGE:
                return found
            after = page[-1].key

    projects = await ctx.read(run)
    return envelope(
        ctx.message_id,
        ("project_list", pb.ProjectList(projects=[project_pb(p) for p in projects])),
    )
