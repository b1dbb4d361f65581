"""The unit of work: the one owner of a tenant transaction, its activity rows and its events."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType

from pm.core.activity import ActivityEntry, FieldChange
from pm.core.actor import Actor
from pm.core.enums import EntityType
from pm.core.ids import new_id
from pm.db.executor import Executor
from pm.db.repos import activity
from pm.db.sqlite import SqliteStore, SqliteTransaction
from pm.db.tenants import TenantConnectionManager
from pm.events.types import Event

Publisher = Callable[[str, Sequence[Event]], Awaitable[None]]


class Reader:
    """Read access to one tenant for one actor (no transaction is held)."""

    __slots__ = ("actor", "ex", "now")

    def __init__(self, ex: Executor, actor: Actor, now: int) -> None:
        self.ex = ex
        self.actor = actor
        self.now = now


class UnitOfWork(Reader):
    """`async with tenancy.unit_of_work(actor) as uow:` — one write transaction.

    Activity entries and events are collected while the use case runs; on a clean exit the
    activity is written and the transaction commits, and only then are events published.
    Any exception rolls everything back and publishes nothing.
    """

    __slots__ = ("_activity", "_manager", "_publish", "_store", "_tx", "events")

    def __init__(
        self, manager: TenantConnectionManager, actor: Actor, publish: Publisher | None
    ) -> None:
        super().__init__(_NOT_STARTED, actor, int(time.time()))
        self._manager = manager
        self._publish = publish
        self._store: SqliteStore | None = None
        self._tx: SqliteTransaction | None = None
        self._activity: list[ActivityEntry] = []
        self.events: list[Event] = []

    async def __aenter__(self) -> UnitOfWork:
        store = await self._manager.acquire(self.actor.tenant_id)
        try:
            tx = store.transaction()
            self.ex = await tx.__aenter__()
        except BaseException:
            self._manager.release(store)
            raise
        self._store, self._tx = store, tx
        self.now = int(time.time())  # the lock may have been waited for
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._store is None or self._tx is None:
            raise RuntimeError("unit of work exited without being entered")
        try:
            if exc_type is None and self._activity:
                try:
                    await activity.append(self.ex, self._activity)
                except BaseException as flush_error:
                    await self._tx.__aexit__(type(flush_error), flush_error, None)
                    raise
            await self._tx.__aexit__(exc_type, exc, tb)
        finally:
            self._manager.release(self._store)
        if exc_type is None and self.events and self._publish is not None:
            await self._publish(self.actor.tenant_id, self.events)

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
        user, now = self.actor.user_id, self.now
        if not changes:
            self._activity.append(
                ActivityEntry(
                    new_id(),
                    entity_type,
                    entity_id,
                    project_id,
                    action,
                    None,
                    None,
                    None,
                    user,
                    now,
                    comment,
                )
            )
            return
        for change in changes:
            self._activity.append(
                ActivityEntry(
                    new_id(),
                    entity_type,
                    entity_id,
                    project_id,
                    action,
                    change.field_name,
                    change.old_value,
                    change.new_value,
                    user,
                    now,
                    comment,
                )
            )

    def emit(self, event: Event) -> None:
        """Queue an event for publication after commit."""
        self.events.append(event)


class _NotStarted:
    """Stands in for the executor until the transaction begins."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError("use the unit of work inside `async with`")


_NOT_STARTED: Executor = _NotStarted()  # type: ignore[assignment]


class Tenancy:
    """Entry point of the service layer: readers and units of work for an actor's tenant."""

    def __init__(self, manager: TenantConnectionManager, publish: Publisher | None = None) -> None:
        self.manager = manager
        self.publish = publish

    def unit_of_work(self, actor: Actor) -> UnitOfWork:
        """A write transaction for the actor's tenant (use with `async with`)."""
        return UnitOfWork(self.manager, actor, self.publish)

    def reading(self, actor: Actor) -> ReadScope:
        """Read access for the actor's tenant (use with `async with`)."""
        return ReadScope(self.manager, actor)


class ReadScope:
    """Holds the tenant store open for a sequence of reads."""

    __slots__ = ("_actor", "_manager", "_store")

    def __init__(self, manager: TenantConnectionManager, actor: Actor) -> None:
        self._manager = manager
        self._actor = actor
        self._store: SqliteStore | None = None

    async def __aenter__(self) -> Reader:
        store = await self._manager.acquire(self._actor.tenant_id)
        self._store = store
        try:
            ex = await store.reader()
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
            self._manager.release(self._store)
