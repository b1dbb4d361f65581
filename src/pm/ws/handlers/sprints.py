"""Sprint commands: create, update, delete, list a project's sprints."""

from __future__ import annotations

from typing import cast

from pm.events.entities_pb import sprint_pb, sprint_status_from_pb
from pm.proto import messages_pb2 as pb
from pm.service import sprints as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope
from pm.ws.handlers.decoding import expected_version, present


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
        lambda uow: svc.create_sprint(uow, req.project_id, new), "sprint_created"
    )


@command("update_sprint_request")
async def update_sprint(ctx: CommandContext) -> bytes:
    """Rename, re-date or move a sprint through its lifecycle."""
    req = ctx.message.update_sprint_request
    patch = present(req, ("name", "goal", "start_date", "end_date"))
    if req.HasField("status"):
        patch["status"] = sprint_status_from_pb(req.status)
    version = expected_version(req.expected_version)
    return await ctx.announce(
        lambda uow: svc.update_sprint(uow, req.sprint_id, cast(svc.SprintPatch, patch), version),
        "sprint_updated",
    )


@command("delete_sprint_request")
async def delete_sprint(ctx: CommandContext) -> bytes:
    """Soft-delete a sprint; its items go back to the backlog."""
    req = ctx.message.delete_sprint_request
    return await ctx.announce(lambda uow: svc.delete_sprint(uow, req.sprint_id), "sprint_deleted")


@command("get_sprints_request")
async def get_sprints(ctx: CommandContext) -> bytes:
    """A project's live sprints by start date."""
    req = ctx.message.get_sprints_request
    sprints = await ctx.read(lambda r: svc.list_sprints(r, req.project_id))
    return envelope(
        ctx.message_id, ("sprints_list", pb.SprintsList(sprints=[sprint_pb(s) for s in sprints]))
    )
