"""Dependency commands: link two work items, unlink, list an item's links."""

from __future__ import annotations

from pm.events.entities_pb import dependency_pb, dependency_type_from_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import dependencies as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope


@command("create_dependency_request")
async def create_dependency(ctx: CommandContext) -> bytes:
    """Link two work items: `blocks` (never a cycle) or `relates_to`."""
    req = ctx.message.create_dependency_request
    kind = dependency_type_from_pb(req.dependency_type)
    return await ctx.announce(
        lambda uow: svc.create_dependency(uow, req.blocking_item_id, req.blocked_item_id, kind),
        EventKind.DEPENDENCY_CREATED,
    )


@command("delete_dependency_request")
async def delete_dependency(ctx: CommandContext) -> bytes:
    """Remove a link between two work items."""
    req = ctx.message.delete_dependency_request
    return await ctx.announce(
        lambda uow: svc.delete_dependency(uow, req.dependency_id), EventKind.DEPENDENCY_DELETED
    )


@command("get_dependencies_request")
async def get_dependencies(ctx: CommandContext) -> bytes:
    """What blocks a work item, what it blocks, and what relates to it."""
    req = ctx.message.get_dependencies_request
    found = await ctx.read(lambda r: svc.list_dependencies(r, req.work_item_id))
    return envelope(
        ctx.message_id,
        (
            "dependencies_list",
            pb.DependenciesList(
                blocking=[dependency_pb(d) for d in found.blocking],
                blocked=[dependency_pb(d) for d in found.blocked],
                related=[dependency_pb(d) for d in found.related],
            ),
        ),
    )
