"""Activity log command: one entity's history, newest first, by offset."""

from __future__ import annotations

from pm.core.enums import EntityType
from pm.core.errors import InvalidInput
from pm.events.entities_pb import activity_pb
from pm.proto import messages_pb2 as pb
from pm.service import activity as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope
from pm.ws.handlers.decoding import window

DEFAULT_LIMIT = 50
MAX_LIMIT = 100


def _entity_type(value: str) -> EntityType:
    try:
        return EntityType(value)
    except ValueError:
        raise InvalidInput(
            f"entity_type must be one of {', '.join(t.value for t in EntityType)}",
            field="entity_type",
        ) from None


@command("get_activity_log_request")
async def get_activity_log(ctx: CommandContext) -> bytes:
    """A page of one entity's activity entries with the total count."""
    req = ctx.message.get_activity_log_request
    entity_type = _entity_type(req.entity_type)
    if not req.entity_id:
        raise InvalidInput("entity_id is required", field="entity_id")
    limit, offset = window(req.limit, req.offset, DEFAULT_LIMIT, MAX_LIMIT)
    page = await ctx.read(
        lambda r: svc.entity_activity_page(r, entity_type, req.entity_id, limit, offset)
    )
    return envelope(
        ctx.message_id,
        (
            "activity_log_list",
            pb.ActivityLogList(
                entries=[activity_pb(e) for e in page.entries],
                total_count=page.total_count,
                has_more=page.has_more,
            ),
        ),
    )
