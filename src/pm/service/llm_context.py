"""Reading the LLM context: documentation rows for AI agents working with this data."""

from __future__ import annotations

from pm.core.llm_context import LlmContextEntry
from pm.db.repos import llm_context as repo
from pm.service.uow import Reader


async def search_context(
    reader: Reader,
    category: str | None = None,
    context_type: str | None = None,
    min_priority: int = 0,
) -> list[LlmContextEntry]:
    """Entries matching the optional filters, most important first."""
    return await repo.search(reader.ex, category, context_type, min_priority)
