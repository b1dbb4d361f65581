"""Sprint commands: create, update, delete, list a project's sprints."""

from __future__ import annotations

from pm.events.entities_pb import sprint_pb, sprint_status_from_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import sprints as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope
from pm.ws.handlers.decoding import cleared, expected_version


@command("create_sprint_request")
async def create_sprint(ctx: CommandContext) -> bytes:
    """Plan a sprint in a project."""
    req = ctx.message.create_sprint_request
    new = svc.NewSprint(
        name=req.name,
        start_date=req.start_date,
        end_date=req.end_date,
        goal=req.goal if req.HasField("goal") else None,
    )
    return await ctx.announce(
        lambda uow: svc.create_sprint(uow, req.project_id, new), EventKind.SPRINT_CREATED
    )


@command("update_sprint_request")
async def update_sprint(ctx: CommandContext) -> bytes:
    """Rename, re-date or move a sprint through its lifecycle."""
    req = ctx.message.update_sprint_request
    patch = _patch(req)
    version = expected_version(req.expected_version)
    return await ctx.announce(
        lambda uow: svc.update_sprint(uow, req.sprint_id, patch, version),
        EventKind.SPRINT_UPDATED,
    )


def _patch(req: pb.UpdateSprintRequest) -> svc.SprintPatch:
    """The fields the client set, as the service's patch."""
    patch: svc.SprintPatch = {}
    if req.HasField("name"):
        patch["name"] = req.name
    if req.HasField("goal"):
        patch["goal"] = cleared(req.goal)
    if req.HasField("start_date"):
        patch["start_date"] = req.start_date
    if req.HasField("end_date"):
        patch["end_date"] = req.end_date
    if req.HasField("status"):
        patch["status"] = sprint_status_from_pb(req.status)
    return patch


@command("delete_sprint_request")
async def delete_sprint(ctx: CommandContext) -> bytes:
    """Soft-delete a sprint; its items go back to the backlog."""
    req = ctx.message.delete_sprint_request
    return await ctx.announce(
        lambda uow: svc.delete_sprint(uow, req.sprint_id), EventKind.SPRINT_DELETED
    )


@command("get_sprints_request")
async def get_sprints(ctx: CommandContext) -> bytes:
    """A project's live sprints by start date."""
    req = ctx.message.get_sprints_request
    sprints = await ctx.read(lambda r: svc.list_sprints(r, req.project_id))
    return envelope(
        ctx.message_id, ("sprints_list", pb.SprintsList(sprints=[sprint_pb(s) for s in sprints]))
    )
