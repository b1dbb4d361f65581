"""Project commands: create, update, delete, list."""

from __future__ import annotations

from pm.core.projects import Project
from pm.events.entities_pb import project_pb, project_status_from_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import projects as svc
from pm.service.uow import Reader
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope
from pm.ws.handlers.decoding import cleared, expected_version

_PAGE = 1000


@command("create_project_request")
async def create_project(ctx: CommandContext) -> bytes:
    """Create a project with its default swim lanes."""
    req = ctx.message.create_project_request
    description = req.description if req.HasField("description") else None
    return await ctx.announce(
        lambda uow: svc.create_project(uow, req.key, req.title, description),
        EventKind.PROJECT_CREATED,
    )


@command("update_project_request")
async def update_project(ctx: CommandContext) -> bytes:
    """Change a project's title, description or status."""
    req = ctx.message.update_project_request
    patch = _patch(req)
    version = expected_version(req.expected_version)
    return await ctx.announce(
        lambda uow: svc.update_project(uow, req.project_id, patch, version),
        EventKind.PROJECT_UPDATED,
    )


def _patch(req: pb.UpdateProjectRequest) -> svc.ProjectPatch:
    """The fields the client set, as the service's patch."""
    patch: svc.ProjectPatch = {}
    if req.HasField("title"):
        patch["title"] = req.title
    if req.HasField("description"):
        patch["description"] = cleared(req.description)
    if req.HasField("status"):
        patch["status"] = project_status_from_pb(req.status)
    return patch


@command("delete_project_request")
async def delete_project(ctx: CommandContext) -> bytes:
    """Soft-delete a project with its work items and sprints."""
    req = ctx.message.delete_project_request
    version = expected_version(req.expected_version)
    return await ctx.announce(
        lambda uow: svc.delete_project(uow, req.project_id, version), EventKind.PROJECT_DELETED
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
