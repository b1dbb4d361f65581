"""What both tenant managers share: a cache of open stores, each opened once, and leases.

`StoreCache.get` answers from the cache (most recently used last) or opens the store —
once, however many callers ask for it at the same time: the others wait for that opening
and see its result or its error. The engines say how a store is opened and what eviction
does (`pm.db.tenants` closes SQLite files; `pm.db.pgtenants` only forgets: a store holds
no connection).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

from pm.db.store import TenantStore

S = TypeVar("S", bound=TenantStore)


class StoreCache(ABC, Generic[S]):
    """Open stores by tenant id, opened once each; held open while leased."""

    def __init__(self) -> None:
        self._stores: OrderedDict[str, S] = OrderedDict()
        self._opening: dict[str, asyncio.Future[S]] = {}

    @abstractmethod
    def _check(self, tenant_id: str) -> None:
        """Refuse an invalid tenant id (before anything is opened)."""

    @abstractmethod
    async def _open(self, tenant_id: str) -> S:
        """Open (creating and migrating when allowed) the tenant's store."""

    @abstractmethod
    def _evict(self) -> None:
        """Bring the cache back within its bound (just after a store was added)."""

    @property
    def open_count(self) -> int:
        """How many tenant stores are open right now."""
        return len(self._stores)

    async def get(self, tenant_id: str) -> S:
        """The open store of `tenant_id`, opening it (once, however many callers) if needed."""
        store = self._stores.get(tenant_id)
        if store is not None:
            self._stores.move_to_end(tenant_id)
            return store
        self._check(tenant_id)
        pending = self._opening.get(tenant_id)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._opening[tenant_id] = pending
            try:
                store = await self._open(tenant_id)
            except BaseException as exc:
                pending.set_exception(exc)
                pending.exception()  # mark retrieved: waiters re-raise it themselves
                raise
            finally:
                self._opening.pop(tenant_id, None)
            self._stores[tenant_id] = store
            pending.set_result(store)
            self._evict()
            return store
        return await asyncio.shield(pending)

    async def acquire(self, tenant_id: str) -> S:
        """The tenant's store, held (never closed by eviction) until `release`."""
        store = await self.get(tenant_id)
        store.leases += 1
        return store

    def release(self, store: TenantStore) -> None:
        """Give back a store taken with `acquire`."""
        store.leases -= 1

    @contextlib.asynccontextmanager
    async def lease(self, tenant_id: str) -> AsyncIterator[S]:
        """`acquire` and `release` around a block."""
        store = await self.acquire(tenant_id)
        try:
            yield store
        finally:
            self.release(store)
