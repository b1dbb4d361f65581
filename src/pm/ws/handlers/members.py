"""Project membership commands (extension): list, set a role, remove."""

from __future__ import annotations

from pm.events.entities_pb import member_pb, role_from_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import members as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope


@command("list_members_request")
async def list_members(ctx: CommandContext) -> bytes:
    """Every member of a project and their role."""
    req = ctx.message.list_members_request
    found = await ctx.read(lambda r: svc.list_members(r, req.project_id))
    return envelope(
        ctx.message_id, ("members_list", pb.MembersList(members=[member_pb(m) for m in found]))
    )


@command("set_member_request")
async def set_member(ctx: CommandContext) -> bytes:
    """Add a member or change a role (project admins only); an unchanged role is "updated"."""
    req = ctx.message.set_member_request
    role = role_from_pb(req.role)
    return await ctx.announce(
        lambda uow: svc.set_member(uow, req.project_id, req.user_id, role),
        EventKind.MEMBER_ADDED,
        EventKind.MEMBER_UPDATED,
    )


@command("remove_member_request")
async def remove_member(ctx: CommandContext) -> bytes:
    """Remove a member (admins remove anyone; anyone may leave)."""
    req = ctx.message.remove_member_request
    return await ctx.announce(
        lambda uow: svc.remove_member(uow, req.project_id, req.user_id), EventKind.MEMBER_REMOVED
    )
