"""LLM context: rows documenting the schema, query patterns and rules for AI agents."""

from __future__ import annotations

from pm.core.records import record


@record
class LlmContextEntry:
    """One documentation row; higher `priority` means more important to read first."""

    id: str
    context_type: str
    category: str
    title: str
    content: str
    example_sql: str | None
    example_description: str | None
    priority: int
