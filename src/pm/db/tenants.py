"""TenantConnectionManager: tenant ids → open, migrated SQLite stores, in a bounded LRU.

It is the SQLite `pm.db.store.TenantManager`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from pm.core.errors import TenantUnknown
from pm.core.records import record
from pm.core.tenants import TENANT_PATTERN, validate_tenant_id
from pm.db import migrate
from pm.db.opening import StoreCache
from pm.db.sqlite import SqliteStore, connect, connect_reader
from pm.db.store import TenantStore

log = logging.getLogger(__name__)


@record
class StorageConfig:
    """What the manager needs to know about where and how tenants are stored."""

    base_path: Path
    max_open: int = 256
    auto_create: bool = True
    busy_timeout: float = 5.0
    synchronous: str = "NORMAL"
    checkpoint_interval: float = 1.0
    on_commit_batch: Callable[[int], None] | None = None  # units per commit (the metrics)


class TenantConnectionManager(StoreCache[SqliteStore]):
    """Opens (creating and migrating on first use) and caches one SqliteStore per tenant."""

    def __init__(self, config: StorageConfig) -> None:
        super().__init__()
        self.config = config
        self._closing: set[SqliteStore] = set()
        self._checkpointer: asyncio.Task[None] | None = None

    def tenant_path(self, tenant_id: str) -> Path:
        """Where a tenant's database lives."""
        return self.config.base_path / "tenants" / validate_tenant_id(tenant_id) / "main.db"

    def _check(self, tenant_id: str) -> None:
        validate_tenant_id(tenant_id)

    async def _open(self, tenant_id: str) -> SqliteStore:
        return await asyncio.to_thread(self._open_sync, tenant_id)

    def release(self, store: TenantStore) -> None:
        """Give back a store taken with `acquire`; closes it if it was evicted meanwhile."""
        super().release(store)
        if store.leases == 0 and isinstance(store, SqliteStore) and store in self._closing:
            self._closing.discard(store)
            self._close_later(store)

    def _close_later(self, store: SqliteStore) -> None:
        task = asyncio.get_running_loop().create_task(asyncio.to_thread(store.close))
        task.add_done_callback(_log_failure)

    def _open_sync(self, tenant_id: str) -> SqliteStore:
        path = self.tenant_path(tenant_id)
        if not path.exists():
            if not self.config.auto_create:
                raise TenantUnknown(f"tenant {tenant_id!r} is not provisioned here")
            with migrate.file_lock(path.parent / ".lock"):
                if not path.exists():
                    migrate.create_from_template(self.config.base_path, path)
                    log.info("tenant created", extra={"tenant_id": tenant_id})
        conn = connect(path, synchronous=self.config.synchronous)
        if migrate.current_revision(conn) != migrate.head_revision():
            with migrate.file_lock(path.parent / ".lock"):
                if migrate.current_revision(conn) != migrate.head_revision():
                    migrate.upgrade_sqlite(path)
                    log.info("tenant migrated", extra={"tenant_id": tenant_id})
        store = SqliteStore(tenant_id, path, conn, connect_reader(path), self.config.busy_timeout)
        store.on_commit_batch = self.config.on_commit_batch
        return store

    def provision(self, tenant_id: str) -> str:
        """Create (if missing) and migrate a tenant's database; blocking, for the CLI."""
        path = self.tenant_path(tenant_id)
        with migrate.file_lock(path.parent / ".lock"):
            if not path.exists():
                migrate.create_from_template(self.config.base_path, path)
        migrate.upgrade_sqlite(path)
        return str(path)

    def migrate_all(self) -> list[str]:
        """Upgrade every tenant database under the base path; blocking, for the CLI."""
        tenants = self.known_tenants()
        for tenant_id in tenants:
            path = self.tenant_path(tenant_id)
            with migrate.file_lock(path.parent / ".lock"):
                migrate.upgrade_sqlite(path)
        return tenants

    def known_tenants(self) -> list[str]:
        """Every tenant with a database under the base path."""
        root = self.config.base_path / "tenants"
        if not root.is_dir():
            return []
        return sorted(
            p.name
            for p in root.iterdir()
            if TENANT_PATTERN.fullmatch(p.name) and (p / "main.db").exists()
        )

    def _evict(self) -> None:
        while len(self._stores) > self.config.max_open:
            tenant_id, store = next(iter(self._stores.items()))
            del self._stores[tenant_id]
            if store.leases:
                self._closing.add(store)  # closed by the last lease holder
            else:
                self._close_later(store)

    def start(self) -> None:
        """Start the background WAL checkpointer (call from a running loop)."""
        if self._checkpointer is None:
            self._checkpointer = asyncio.get_running_loop().create_task(self._checkpoint_loop())

    async def _checkpoint_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.checkpoint_interval)
            for store in [s for s in self._stores.values() if s.commits_since_checkpoint]:
                commits, store.commits_since_checkpoint = store.commits_since_checkpoint, 0
                store.leases += 1  # not closed under the checkpoint, if evicted meanwhile
                try:
                    if not await store.checkpoint(every=self.config.checkpoint_interval):
                        store.commits_since_checkpoint += commits  # another worker's turn
                except Exception:
                    log.warning(
                        "checkpoint failed", exc_info=True, extra={"tenant_id": store.tenant_id}
                    )
                finally:
                    self.release(store)

    async def close(self) -> None:
        """Stop the checkpointer and close every store."""
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        stores = list(self._stores.values()) + list(self._closing)
        self._stores.clear()
        self._closing.clear()
        for store in stores:
            store.flush()  # commit what is batched, so every acknowledged unit is durable
            await asyncio.to_thread(store.close)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("closing a tenant store failed", exc_info=task.exception())
