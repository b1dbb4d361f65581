"""Comment commands: create, edit, delete, list a work item's comments."""

from __future__ import annotations

from pm.core.comments import Comment
from pm.events.entities_pb import comment_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import comments as svc
from pm.service.uow import Reader
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope

_PAGE = 1000


@command("create_comment_request")
async def create_comment(ctx: CommandContext) -> bytes:
    """Comment on a work item as the caller."""
    req = ctx.message.create_comment_request
    return await ctx.announce(
        lambda uow: svc.create_comment(uow, req.work_item_id, req.content),
        EventKind.COMMENT_CREATED,
    )


@command("update_comment_request")
async def update_comment(ctx: CommandContext) -> bytes:
    """Replace the content of one of the caller's comments."""
    req = ctx.message.update_comment_request
    return await ctx.announce(
        lambda uow: svc.update_comment(uow, req.comment_id, req.content), EventKind.COMMENT_UPDATED
    )


@command("delete_comment_request")
async def delete_comment(ctx: CommandContext) -> bytes:
    """Soft-delete one of the caller's comments."""
    req = ctx.message.delete_comment_request
    return await ctx.announce(
        lambda uow: svc.delete_comment(uow, req.comment_id), EventKind.COMMENT_DELETED
    )


@command("get_comments_request")
async def get_comments(ctx: CommandContext) -> bytes:
    """Every live comment of a work item, oldest first."""
    req = ctx.message.get_comments_request

    async def run(reader: Reader) -> list[Comment]:
        found: list[Comment] = []
        after = ""
        while True:
            page = await svc.list_comments(reader, req.work_item_id, after, _PAGE)
            found.extend(page)
            if len(page) < _PAGE:
                return found
            after = page[-1].id

    comments = await ctx.read(run)
    return envelope(
        ctx.message_id,
        ("comments_list", pb.CommentsList(comments=[comment_pb(c) for c in comments])),
    )
