"""The unit of work: the one owner of a tenant transaction, its activity rows and its events."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TypeVar, cast

from pm.core.activity import ActivityEntry, FieldChange
from pm.core.actor import Actor
from pm.core.enums import EntityType
from pm.core.ids import new_id
from pm.db.executor import Deferring, Executor, Statement
from pm.db.repos import activity
from pm.db.repos import events as event_repo
from pm.db.repos import idempotency as idempotency_repo
from pm.db.repos.events import StoredEvent
from pm.db.store import TenantManager, TenantStore
from pm.events.codec import event_body
from pm.events.types import Event

log = logging.getLogger(__name__)
T = TypeVar("T")
_PURGE_EVERY = 600

# Receives committed events in sequence order; must not block (it runs under the write lock).
Publisher = Callable[[str, Sequence[StoredEvent]], None]


class Reader:
    """Read access to one tenant for one actor (no transaction is held)."""

    __slots__ = ("actor", "ex", "now")

    def __init__(self, ex: Executor, actor: Actor, now: int) -> None:
        self.ex = ex
        self.actor = actor
        self.now = now


class UnitOfWork(Reader):
    """`async with tenancy.unit_of_work(actor) as uow:` — one atomic, durable unit of work.

    Activity entries, events and writes nobody reads back (`later`) are collected while the
    use case runs. On a clean exit (or at `flush` / `finish`) they are written into the
    unit's transaction, the events numbered from the tenant's gap-free sequence — in one
    statement where the engine can, which PostgreSQL may send with the next units' (`finish`,
    `TenantStore.park`); the block is left only once the unit is committed (possibly
    together with other writers' units: group commit). Right after the commit the events
    are handed to the publisher, before the next writer's turn, so subscribers receive
    them in sequence order. Any exception undoes the unit and publishes nothing.
    """

    __slots__ = ("_activity", "_deferring", "_publish", "_store", "_stored", "_tenancy", "events")

    def __init__(self, tenancy: Tenancy, actor: Actor) -> None:
        super().__init__(_NOT_STARTED, actor, int(time.time()))
        self._tenancy = tenancy
        self._publish = tenancy.publish
        self._store: TenantStore | None = None
        self._deferring: Deferring | None = None
        self._activity: list[ActivityEntry] = []
        self._stored: list[StoredEvent] | None = None  # set once flushed
        self.events: list[Event] = []

    @property
    def tenancy(self) -> Tenancy:
        """The service entry this unit of work belongs to (its settings, its manager)."""
        return self._tenancy

    async def __aenter__(self) -> UnitOfWork:
        manager = self._tenancy.manager
        store = await manager.acquire(self.actor.tenant_id)
        try:
            self._deferring = Deferring(await store.begin_unit())
        except BaseException:
            manager.release(store)
            raise
        self._store = store
        self.ex = self._deferring
        self.now = int(time.time())  # the writer's turn may have been waited for
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        store = self._store
        if store is None:
            raise RuntimeError("unit of work exited without being entered")
        try:
            if exc_type is not None:
                await self._end(store, keep=False)
                return
            try:
                if self._stored is None:
                    await self.finish()
            except BaseException:
                await self._end(store, keep=False)
                raise
            await self._end(store, keep=True)
        finally:
            self._tenancy.manager.release(store)

    async def _end(self, store: TenantStore, keep: bool) -> None:
        """Keep or undo the unit in its store. The batch's memo outlives it only when it is
        kept and every statement it ran spared the projects' rows."""
        if not (keep and self._spared()):
            store.batch_memo().clear()
        on_commit = self._announce if keep and self._publish is not None else None
        await store.end_unit(keep, on_commit)

    def _spared(self) -> bool:
        """Whether every statement so far left the projects' rows as they were."""
        return self._deferring is not None and self._deferring.spared

    def _announce(self) -> None:
        """The after-commit hook: hands this unit's events to subscribers."""
        if self._stored and self._publish is not None:
            self._publish(self.actor.tenant_id, self._stored)

    def batch_memo(self) -> dict[object, object]:
        """What the units of this unit's batch share (`TenantStore.batch_memo`): kept past
        this unit only when it is kept and every statement it ran spared the projects'
        rows (`Query.spares_projects`); empty from the first statement that did not."""
        memo = self._store_or_fail().batch_memo()
        if not self._spared():
            memo.clear()
        return memo

    def later(self, statement: Statement) -> None:
        """Queue a write whose row count nobody reads: it runs before the unit's next
        statement, or with its last one (PostgreSQL: one round trip for all of them)."""
        self._open_for("later").later(statement)

    async def flush(self, claim: Statement | None = None) -> bool:
        """Write what the unit collected — queued writes, activity rows, events — now instead
        of at its end; nothing more may be collected after. With `claim`, also a write the
        unit stands on (ending in `RETURNING` one column), in the same statement where the
        engine can: False when it returned no row (the caller should then undo the unit).
        """
        return await self._write(claim, park=False)

    async def finish(self, claim: Statement | None = None) -> bool:
        """`flush`, except that where the store can (`TenantStore.park`, PostgreSQL) the
        unit's one statement is held back to go with the next units' in one round trip.
        Then it answers True, and should `claim` return no row the unit is undone and
        leaving the `async with` raises `ClaimLost` (once its batch has ended)."""
        return await self._write(claim, park=True)

    async def _write(self, claim: Statement | None, park: bool) -> bool:
        ex = self._open_for("flush")
        claims = () if claim is None else (claim,)
        tenant = self.actor.tenant_id
        if len(self.events) == 1:
            # The common write: the event numbered inside its INSERT, with its activity rows,
            # the queued writes and the claim in the same statement (PostgreSQL: one trip).
            event = event_repo.inserting(self.now, *self._event_row(self.events[0]))
            returning = [event, *claims]
            writes = ex.take(activity.inserts(self._activity), returning)
            stored: list[StoredEvent] = []
            self._stored = stored  # filled by `settle`, before the commit

            def settle(values: list[object]) -> BaseException | None:
                if claims and values[1] is None:
                    return ClaimLost(f"the unit's claim {claims[0][0]!r} returned no row")
                stored[:] = [event_repo.numbered(values[0], event)]
                return None

            due = self._tenancy.purge_due(tenant, self.now)
            if park and not due and self._store_or_fail().park(writes, returning, settle):
                return True
            if settle(await ex.write_all(writes, returning)) is not None:
                return False
        else:
            if self._activity:
                await activity.append(ex, self._activity)
            stored = []
            if self.events:
                rows = [self._event_row(e) for e in self.events]
                stored = await event_repo.append_many(ex, self.now, rows)
            claimed = await ex.write_all((), claims)
            self._stored = stored
            if claims and claimed[0] is None:
                return False
        if stored:
            await self._tenancy.maybe_purge(ex, tenant, self.now, stored[0].seq)
        return True

    def _store_or_fail(self) -> TenantStore:
        if self._store is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._store

    def _open_for(self, what: str) -> Deferring:
        if self._deferring is None:
            raise RuntimeError("use the unit of work inside `async with`")
        if self._stored is not None:
            raise RuntimeError(f"{what} after the unit of work was flushed")
        return self._deferring

    @staticmethod
    def _event_row(e: Event) -> event_repo.NewEvent:
        return (
            str(e.kind),  # a plain str: sqlite3 binds a str subclass slowly
            e.entity_id,
            e.project_id,
            e.sprint_ids,
            e.work_item_ids,
            e.user_id,
            event_body(e),
        )

    def log(
        self,
        entity_type: EntityType,
        entity_id: str,
        project_id: str | None,
        action: str,
        changes: Sequence[FieldChange] = (),
        comment: str | None = None,
    ) -> None:
        """Record an action; with `changes`, one entry per changed field (old → new)."""
        if self._stored is not None:
            raise RuntimeError("log after the unit of work was flushed")
        user, now = self.actor.user_id, self.now
        fields: Sequence[FieldChange | None] = changes or (None,)
        for change in fields:
            self._activity.append(
                ActivityEntry(
                    new_id(),
                    entity_type,
                    entity_id,
                    project_id,
                    action,
                    change.field_name if change else None,
                    change.old_value if change else None,
                    change.new_value if change else None,
                    user,
                    now,
                    comment,
                )
            )

    def emit(self, event: Event) -> None:
        """Queue an event for storage with the change and publication after commit."""
        if self._stored is not None:
            raise RuntimeError("emit after the unit of work was flushed")
        self.events.append(event)


class ClaimLost(Exception):
    """The claim of a unit whose statement was held back (`UnitOfWork.finish`) returned no
    row: the unit was undone, and the caller finds out why by reading (the claimant's
    unit is committed by then)."""


class _Rehearsed(Exception):
    """Leaves a rehearsed unit of work by an exception, so everything it did is undone."""

    def __init__(self, result: object) -> None:
        super().__init__("rehearsal")
        self.result = result


class _NotStarted:
    """Stands in for the executor until the transaction begins."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("use the unit of work inside `async with`")


_NOT_STARTED: Executor = _NotStarted()  # type: ignore[assignment]


class Tenancy:
    """Entry point of the service layer: readers and units of work for an actor's tenant."""

    def __init__(
        self,
        manager: TenantManager,
        publish: Publisher | None = None,
        event_retention: int = 7 * 24 * 3600,
        idempotency_ttl: int = 24 * 3600,
    ) -> None:
        self.manager = manager
        self.publish = publish
        self.event_retention = event_retention
        self.idempotency_ttl = idempotency_ttl
        self._last_purge: dict[str, int] = {}

    def unit_of_work(self, actor: Actor) -> UnitOfWork:
        """A write transaction for the actor's tenant (use with `async with`)."""
        return UnitOfWork(self, actor)

    def reading(self, actor: Actor) -> ReadScope:
        """Read access for the actor's tenant (use with `async with`)."""
        return ReadScope(self.manager, actor)

    async def rehearse(self, actor: Actor, run: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        """Run a write in a unit of work, then undo it: every rule runs, nothing is written
        and nothing is emitted (a dry run)."""
        try:
            async with self.unit_of_work(actor) as uow:
                result = await run(uow)
                await uow.flush()  # every write runs (and may fail) before all is undone
                raise _Rehearsed(result)
        except _Rehearsed as done:
            return cast(T, done.result)

    def snapshot(self, actor: Actor) -> ReadScope:
        """Reads that all see one snapshot of the tenant, however long they take."""
        return ReadScope(self.manager, actor, snapshot=True)

    def purge_due(self, tenant_id: str, now: int) -> bool:
        """Whether the tenant's next write should forget what expired (`maybe_purge`)."""
        return now - self._last_purge.get(tenant_id, 0) >= _PURGE_EVERY

    async def maybe_purge(self, ex: Executor, tenant_id: str, now: int, keep_from: int) -> None:
        """Every few minutes per tenant, forget expired events and idempotency answers."""
        if not self.purge_due(tenant_id, now):
            return
        self._last_purge[tenant_id] = now
        await event_repo.purge(ex, now - self.event_retention, keep_from)
        await idempotency_repo.purge(ex, now - self.idempotency_ttl)


class ReadScope:
    """Holds the tenant store open for a sequence of reads."""

    __slots__ = ("_actor", "_close", "_end", "_manager", "_snapshot", "_store")

    def __init__(self, manager: TenantManager, actor: Actor, snapshot: bool = False) -> None:
        self._manager = manager
        self._actor = actor
        self._snapshot = snapshot
        self._store: TenantStore | None = None
        self._close: Callable[[], None] | None = None
        self._end: Callable[[], Awaitable[None]] | None = None

    async def __aenter__(self) -> Reader:
        store = await self._manager.acquire(self._actor.tenant_id)
        self._store = store
        try:
            if self._snapshot:
                ex, self._close = store.snapshot()
            else:
                ex, self._end = store.scope()
        except BaseException:
            self._manager.release(store)
            raise
        return Reader(ex, self._actor, int(time.time()))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._store is not None:
            try:
                if self._close is not None:
                    self._close()
                if self._end is not None:
                    await self._end()
            finally:
                self._manager.release(self._store)
