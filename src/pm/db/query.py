"""Statements built once and compiled once per dialect, then executed by a lean executor."""

from __future__ import annotations

from collections.abc import Mapping
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


# What a work item creation reads to take its number (pm.service.lookups): the project,
# its members' roles, its lanes. A statement whose text names none of them, or that only
# reads (a plain SELECT), leaves that read true; the units of one batch share it.
PROJECT_TABLES = ("pm_projects", "pm_project_members", "pm_swim_lanes")


def _spares_projects(statement: ClauseElement, variants: Mapping[str, str]) -> bool:
    try:
        texts = [str(statement), *variants.values()]
    except Exception:  # a construct without a generic text: assume it may change them
        return False
    return all(
        t.lstrip()[:6].upper() == "SELECT" or not any(name in t for name in PROJECT_TABLES)
        for t in texts
    )


class Query:
    """A SQL statement (text with :named parameters, or a Core construct), compiled lazily.

    Compilation happens once per dialect and is cached on the object, so repositories
    declare their statements at import time and pay nothing per call. Where the engines'
    SQL differs (a function's name), `variants` holds the text for a dialect by its name;
    it must take the same parameters and give rows of the same shape.

    `spares_projects`: whether the statement leaves every project, member and lane row as
    it was (`PROJECT_TABLES`) — found from its text, or declared by a write whose change
    the reader of those rows follows itself (a project's next item number).
    """

    __slots__ = ("_compiled", "name", "spares_projects", "statement", "variants")

    def __init__(
        self,
        statement: str | ClauseElement,
        name: str = "",
        variants: Mapping[str, str] | None = None,
        spares_projects: bool = False,
    ) -> None:
        self.statement: ClauseElement = text(statement) if isinstance(statement, str) else statement
        self.name = name
        self.variants = dict(variants or {})
        self._compiled: dict[str, CompiledSql] = {}
        self.spares_projects = spares_projects or _spares_projects(self.statement, self.variants)

    def for_dialect(self, dialect: Dialect) -> CompiledSql:
        """The statement compiled for `dialect` (cached)."""
        cached = self._compiled.get(dialect.name)
        if cached is None:
            variant = self.variants.get(dialect.name)
            statement = self.statement if variant is None else text(variant)
            compiled = statement.compile(dialect=dialect)
            positions = getattr(compiled, "positiontup", None)
            cached = CompiledSql(
                compiled.string, tuple(positions) if dialect.positional and positions else None
            )
            self._compiled[dialect.name] = cached
        return cached

    def __repr__(self) -> str:
        return f"Query({self.name or str(self.statement)[:60]!r})"


def sql(statement: str, name: str = "", *, spares_projects: bool = False, **variants: str) -> Query:
    """Shorthand for a text query with :named parameters (and its text for other dialects,
    e.g. `postgresql=...`)."""
    return Query(statement, name, variants, spares_projects)


Row = tuple[Any, ...]
