"""pm_llm_context (read-only for the API; seeded by migrations)."""

from __future__ import annotations

from pm.core.llm_context import LlmContextEntry
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, mapper

COLS = columns(LlmContextEntry)
_row = mapper(LlmContextEntry)

_LIST = sql(
    f"SELECT {COLS} FROM pm_llm_context"
    " WHERE (CAST(:category AS VARCHAR(40)) IS NULL OR category = :category)"
    " AND (CAST(:context_type AS VARCHAR(40)) IS NULL OR context_type = :context_type)"
    " AND priority >= :min_priority"
    " ORDER BY priority DESC, category, title"
)


async def search(
    ex: Executor, category: str | None, context_type: str | None, min_priority: int
) -> list[LlmContextEntry]:
    """Entries matching the optional filters, most important first."""
    rows = await ex.all(
        _LIST, {"category": category, "context_type": context_type, "min_priority": min_priority}
    )
    return [_row(r) for r in rows]
