"""The one interface every repository talks to; one implementation per database engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from pm.db.query import Query, Row

Params = Mapping[str, object]
NO_PARAMS: Params = {}
Statement = tuple[Query, Params]


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

    async def one_after(
        self, writes: Sequence[Statement], query: Query, params: Params = NO_PARAMS
    ) -> Row | None:
        """Execute `writes`, then `query`; its first row, or None.

        For writes whose outcome nobody reads: none of them reads what another writes, and
        `query` reads none of it (PostgreSQL runs them all as one statement, where every
        part sees the data as it was before the statement).
        """
        ...
