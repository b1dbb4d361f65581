"""The one interface every repository talks to; one implementation per database engine."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from pm.db.query import Query, Row

Params = Mapping[str, object]
NO_PARAMS: Params = {}
Statement = tuple[Query, Params]
# What a held-back statement's values (see `Executor.write_all`) mean to the unit that sent
# it: None when they stand, else the error its unit fails with (it is then undone).
Settle = Callable[[list[object]], BaseException | None]


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

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        """Execute `writes`, then `returning` (writes ending in `RETURNING` one column): the
        value each of those returned first, None where it returned no row.

        For writes whose outcome nobody reads but through `returning`: none of them reads
        what another writes (PostgreSQL runs them all as one statement, where every part
        sees the data as it was before the statement).
        """
        ...


class Deferring:
    """An executor that holds back writes whose outcome nobody reads (`later`): they run
    before its next statement, in order — so every read sees them — or ride in the
    statement of a `write_all`, which may make them one round trip with it.

    `spared`: whether every statement so far left the project, member and lane rows as
    they were (`Query.spares_projects`).
    """

    __slots__ = ("_later", "inner", "spared")

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self._later: list[Statement] = []
        self.spared = True

    def _note(self, query: Query) -> None:
        if not query.spares_projects:
            self.spared = False

    def later(self, statement: Statement) -> None:
        """Queue a write (its row count goes unread)."""
        self._note(statement[0])
        self._later.append(statement)

    async def _settle(self) -> None:
        writes, self._later = self._later, []
        await self.inner.write_all(writes)

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None (after the queued writes)."""
        self._note(query)
        if self._later:
            await self._settle()
        return await self.inner.one(query, params)

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row (after the queued writes)."""
        self._note(query)
        if self._later:
            await self._settle()
        return await self.inner.all(query, params)

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        """Execute a write after the queued ones; the number of rows it affected."""
        self._note(query)
        if self._later:
            await self._settle()
        return await self.inner.run(query, params)

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        """Execute one write statement for each parameter set, after the queued writes."""
        self._note(query)
        if self._later:
            await self._settle()
        await self.inner.run_many(query, rows)

    def take(self, writes: Sequence[Statement], returning: Sequence[Statement]) -> list[Statement]:
        """The queued writes and then `writes`, taken out to be sent with `returning` by the
        caller (as `write_all` would send them)."""
        for query, _ in (*writes, *returning):
            self._note(query)
        taken, self._later = [*self._later, *writes], []
        return taken

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        """`Executor.write_all` with the queued writes first among `writes`."""
        return await self.inner.write_all(self.take(writes, returning), returning)
