"""LLM context command: the documentation rows for AI agents, optionally filtered."""

from __future__ import annotations

from pm.events.entities_pb import llm_context_pb
from pm.proto import messages_pb2 as pb
from pm.service import llm_context as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope


@command("get_llm_context_request")
async def get_llm_context(ctx: CommandContext) -> bytes:
    """Entries matching the optional filters, most important first."""
    req = ctx.message.get_llm_context_request
    category = req.category if req.HasField("category") else None
    context_type = req.context_type if req.HasField("context_type") else None
    min_priority = req.min_priority if req.HasField("min_priority") else 0
    entries = await ctx.read(lambda r: svc.search_context(r, category, context_type, min_priority))
    return envelope(
        ctx.message_id,
        ("llm_context_list", pb.LlmContextList(entries=[llm_context_pb(e) for e in entries])),
    )
