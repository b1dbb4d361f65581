"""Statements built once and compiled once per dialect, then executed by a lean executor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql import ClauseElement

from pm.core.records import record


@record
class CompiledSql:
    """SQL text for one dialect, plus the parameter order for positional dialects."""

    sql: str
    positions: tuple[str, ...] | None


class Query:
    """A SQL statement (text with :named parameters, or a Core construct), compiled lazily.

    Compilation happens once per dialect and is cached on the object, so repositories
    declare their statements at import time and pay nothing per call.
    """

    __slots__ = ("_compiled", "name", "statement")

    def __init__(self, statement: str | ClauseElement, name: str = "") -> None:
        self.statement: ClauseElement = text(statement) if isinstance(statement, str) else statement
        self.name = name
        self._compiled: dict[str, CompiledSql] = {}

    def for_dialect(self, dialect: Dialect) -> CompiledSql:
        """The statement compiled for `dialect` (cached)."""
        cached = self._compiled.get(dialect.name)
        if cached is None:
            compiled = self.statement.compile(dialect=dialect)
            positions = getattr(compiled, "positiontup", None)
            cached = CompiledSql(
                compiled.string, tuple(positions) if dialect.positional and positions else None
            )
            self._compiled[dialect.name] = cached
        return cached

    def __repr__(self) -> str:
        return f"Query({self.name or str(self.statement)[:60]!r})"


def sql(statement: str, name: str = "") -> Query:
    """Shorthand for a text query with :named parameters."""
    return Query(statement, name)


Row = tuple[Any, ...]
