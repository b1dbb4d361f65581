"""Project membership commands (extension): list, set a role, remove."""

from __future__ import annotations

from pm.core.members import ProjectMember
from pm.events.entities_pb import member_pb, role_from_pb
from pm.proto import messages_pb2 as pb
from pm.service import members as svc
from pm.service.uow import UnitOfWork
from pm.ws.commands import command
from pm.ws.context import CommandContext, Reply, envelope, field_changes


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
    user = ctx.actor.user_id
    added: list[bool] = []
    changes: list[pb.FieldChange] = []

    async def run(uow: UnitOfWork) -> ProjectMember:
        member = await svc.set_member(uow, req.project_id, req.user_id, role)
        added.append(any(e.kind == "member_added" for e in uow.events))
        changes.extend(field_changes(uow, "member_updated", req.user_id))
        return member

    def reply(member: ProjectMember) -> Reply:
        if added[0]:
            return "member_added", pb.MemberAdded(member=member_pb(member), user_id=user)
        return "member_updated", pb.MemberUpdated(
            member=member_pb(member), changes=changes, user_id=user
        )

    return await ctx.write(run, reply)


@command("remove_member_request")
async def remove_member(ctx: CommandContext) -> bytes:
    """Remove a member (admins remove anyone; anyone may leave)."""
    req = ctx.message.remove_member_request
    user = ctx.actor.user_id
    return await ctx.write(
        lambda uow: svc.remove_member(uow, req.project_id, req.user_id),
        lambda m: (
            "member_removed",
            pb.MemberRemoved(project_id=m.project_id, member_user_id=m.user_id, user_id=user),
        ),
    )
