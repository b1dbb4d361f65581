"""What the services need from storage, whatever the engine: typed seams, no SQLite in them.

`TenantManager` turns tenant ids into open, migrated `TenantStore`s; a store gives readers
and units of work over an `Executor`. SQLite (`pm.db.sqlite`, `pm.db.tenants`) implements
them today; another engine plugs in by implementing the same protocols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol

from pm.db.executor import Executor, Settle, Statement


class TenantStore(Protocol):
    """One tenant's storage: reads of committed data, and units of work that take turns."""

    tenant_id: str
    leases: int  # how many holders keep the store open (kept by its manager)

    async def reader(self) -> Executor:
        """The executor for reads: committed data only, never blocked by writers."""
        ...

    def snapshot(self) -> tuple[Executor, Callable[[], None]]:
        """A reader that sees one snapshot of the tenant until the returned function is
        called (for long reads that must agree across statements, e.g. an export)."""
        ...

    def scope(self) -> tuple[Executor, Callable[[], Awaitable[None]] | None]:
        """The executor for one scope of reads (a request's), and what ends the scope: None
        where the shared reader serves (SQLite); on PostgreSQL one pooled connection taken
        at the first statement serves them all and goes back at the end."""
        ...

    async def begin_unit(self) -> Executor:
        """Take the writer's turn and open the unit of work."""
        ...

    async def end_unit(self, keep: bool, on_commit: Callable[[], None] | None = None) -> None:
        """Keep or undo the unit; return once it is durable (or raise why it is not).

        `on_commit` runs right after the commit, before the next writer's turn.
        """
        ...

    def park(
        self, writes: Sequence[Statement], returning: Sequence[Statement], settle: Settle
    ) -> bool:
        """Hold the running unit's last statement (`Executor.write_all`'s) back, to be sent
        with the batch's others: before the next statement of another unit, or before the
        commit. `settle` gets its values then (and may fail the unit: it is undone, and its
        `end_unit` raises that error once the batch has ended). False where the engine
        gains nothing by it (SQLite, in-process): the caller sends the statement now.
        Call it last in a unit that is then kept."""
        ...

    def batch_memo(self) -> dict[object, object]:
        """What the units of the open batch share: reads a unit made inside the writer's
        turn, for the next units of the same transaction (fresh for each batch, so nothing
        another writer changed in between is ever in it). Call it inside a unit; a unit
        that may have changed what an entry says clears it before it ends."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """`async with store.transaction() as ex:` — one unit of work, no events."""
        ...


class TenantManager(Protocol):
    """Tenant ids → open, migrated stores (created on first use when allowed)."""

    @property
    def open_count(self) -> int:
        """How many tenant stores are open right now."""
        ...

    async def get(self, tenant_id: str) -> TenantStore:
        """The open store of `tenant_id`, opening it if needed."""
        ...

    async def acquire(self, tenant_id: str) -> TenantStore:
        """The tenant's store, held open until `release`."""
        ...

    def release(self, store: TenantStore) -> None:
        """Give back a store taken with `acquire`."""
        ...

    def lease(self, tenant_id: str) -> AbstractAsyncContextManager[TenantStore]:
        """`acquire` and `release` around a block."""
        ...

    def provision(self, tenant_id: str) -> str:
        """Create (if missing) and migrate a tenant; blocking, for the CLI. Says where."""
        ...

    def migrate_all(self) -> list[str]:
        """Upgrade every known tenant to the newest schema; blocking, for the CLI."""
        ...

    def known_tenants(self) -> list[str]:
        """Every tenant this storage holds."""
        ...

    def start(self) -> None:
        """Start background work (call from a running loop)."""
        ...

    async def close(self) -> None:
        """Stop background work and close every store (what was acknowledged is durable)."""
        ...


class Units(Protocol):
    """What `UnitTransaction` drives: a store's units of work."""

    async def begin_unit(self) -> Executor:
        """Take the writer's turn and open the unit of work."""
        ...

    def batch_memo(self) -> dict[object, object]:
        """What the units of the open batch share (`TenantStore.batch_memo`)."""
        ...

    async def end_unit(self, keep: bool, on_commit: Callable[[], None] | None = None) -> None:
        """Keep or undo the unit; return once it is durable."""
        ...


class UnitTransaction:
    """Async context manager for one unit of work on a store (durable on a clean exit).

    Its statements are the caller's, unseen here: the batch's memo is cleared at its end.
    """

    __slots__ = ("store",)

    def __init__(self, store: Units) -> None:
        self.store = store

    async def __aenter__(self) -> Executor:
        return await self.store.begin_unit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.store.batch_memo().clear()
        await self.store.end_unit(exc_type is None)
