"""Sprint commands: create, update, delete, list a project's sprints."""

from __future__ import annotations

from typing import cast

from pm.core.sprints import Sprint
from pm.events.entities_pb import sprint_pb, sprint_status_from_pb
from pm.proto import messages_pb2 as pb
from pm.service import sprints as svc
from pm.service.uow import UnitOfWork
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope, field_changes
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
    user = ctx.actor.user_id
    return await ctx.write(
        lambda uow: svc.create_sprint(uow, req.project_id, new),
        lambda sprint: ("sprint_created", pb.SprintCreated(sprint=sprint_pb(sprint), user_id=user)),
    )


@command("update_sprint_request")
async def update_sprint(ctx: CommandContext) -> bytes:
    """Rename, re-date or move a sprint through its lifecycle."""
    req = ctx.message.update_sprint_request
    patch = present(req, ("name", "goal", "start_date", "end_date"))
    if req.HasField("status"):
        patch["status"] = sprint_status_from_pb(req.status)
    user = ctx.actor.user_id
    changes: list[pb.FieldChange] = []

    async def run(uow: UnitOfWork) -> Sprint:
        sprint = await svc.update_sprint(
            uow, req.sprint_id, cast(svc.SprintPatch, patch), expected_version(req.expected_version)
        )
        changes.extend(field_changes(uow, "sprint_updated", sprint.id))
        return sprint

    return await ctx.write(
        run,
        lambda sprint: (
            "sprint_updated",
            pb.SprintUpdated(sprint=sprint_pb(sprint), changes=changes, user_id=user),
        ),
    )


@command("delete_sprint_request")
async def delete_sprint(ctx: CommandContext) -> bytes:
    """Soft-delete a sprint; its items go back to the backlog."""
    req = ctx.message.delete_sprint_request
    user = ctx.actor.user_id
    return await ctx.write(
        lambda uow: svc.delete_sprint(uow, req.sprint_id),
        lambda _: ("sprint_deleted", pb.SprintDeleted(sprint_id=req.sprint_id, user_id=user)),
    )


@command("get_sprints_request")
async def get_sprints(ctx: CommandContext) -> bytes:
    """A project's live sprints by start date."""
    req = ctx.message.get_sprints_request
    sprints = await ctx.read(lambda r: svc.list_sprints(r, req.project_id))
    return envelope(
        ctx.message_id, ("sprints_list", pb.SprintsList(sprints=[sprint_pb(s) for s in sprints]))
    )
