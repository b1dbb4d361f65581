"""The one interface every repository talks to; one implementation per database engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from pm.db.query import Query, Row

Params = Mapping[str, object]
NO_PARAMS: Params = {}


class Executor(Protocol):
    """Runs cached statements inside (or outside) the caller's transaction."""

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None."""
        ...

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row."""
        ...

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        """Execute a write; returns the number of rows affected."""
        ...

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        """Execute one write statement for each parameter set."""
        ...
