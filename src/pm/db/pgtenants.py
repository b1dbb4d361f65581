"""PostgresTenantManager: tenant ids → schemas (created and migrated on first use), one pool.

It is the PostgreSQL `pm.db.store.TenantManager`. A store holds no connection, so many
tenants cost nothing but a small object each; the process's connections are the pool's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pm.core.errors import TenantUnknown
from pm.db import migrate
from pm.db.opening import StoreCache
from pm.db.postgres import (
    PgPool,
    PgStore,
    PmConnection,
    PostgresConfig,
    lock_key,
    quote_ident,
    schema_name,
    translate,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

_REVISION = "SELECT version_num FROM {schema}.alembic_version"  # the schema is a quoted identifier
# A plain catalog query (an MVCC read), not to_regclass: the relation cache of a session
# that waited on an advisory lock may not yet know of a table another session just made.
_HAS_VERSION = (
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 "
    "AND tablename = 'alembic_version')"
)
_TENANT_SCHEMAS = (
    "SELECT table_schema FROM information_schema.tables WHERE table_name = 'alembic_version' "
    "AND table_schema NOT IN ('public', 'information_schema') ORDER BY table_schema"
)


class PostgresTenantManager(StoreCache[PgStore]):
    """Opens (creating and migrating on first use) and caches one PgStore per tenant."""

    def __init__(
        self, config: PostgresConfig, on_commit_batch: Callable[[int], None] | None = None
    ) -> None:
        super().__init__()
        self.config = config
        self.pool = PgPool(config)
        self.on_commit_batch = on_commit_batch  # told each commit's number of units

    def _check(self, tenant_id: str) -> None:
        schema_name(tenant_id)

    async def _open(self, tenant_id: str) -> PgStore:
        """Check (once per opening) that the schema exists and is at head."""
        await self._ensure(tenant_id, create=self.config.auto_create)
        store = PgStore(tenant_id, self.pool)
        store.on_commit_batch = self.on_commit_batch
        return store

    def _evict(self) -> None:
        while len(self._stores) > self.config.max_open:
            self._stores.popitem(last=False)  # holds nothing; leaseholders keep theirs

    async def _ensure(self, tenant_id: str, *, create: bool) -> None:
        """Create the tenant's schema if missing (when allowed) and migrate it to head."""
        schema = schema_name(tenant_id)
        conn = await self.pool.acquire()
        try:
            revision = await _revision(conn, schema)
            if revision == migrate.head_revision():
                return
            if revision is None and not create:
                raise TenantUnknown(f"tenant {tenant_id!r} is not provisioned here")
            script = await asyncio.to_thread(migrate.render_upgrade, revision)
            async with conn.transaction():
                # Instances (and requests) creating the same tenant at once take turns.
                await conn.execute(f"SELECT pg_advisory_xact_lock({lock_key(tenant_id)})")
                again = await _revision(conn, schema)
                if again != revision:  # someone else got there first
                    if again == migrate.head_revision():
                        return
                    script = await asyncio.to_thread(migrate.render_upgrade, again)
                ident = quote_ident(schema)
                await conn.execute(
                    f"CREATE SCHEMA IF NOT EXISTS {ident}; SET LOCAL search_path TO {ident}"
                )
                await conn.execute(script)
            log.info(
                "tenant migrated" if revision else "tenant created",
                extra={"tenant_id": tenant_id},
            )
        except (TenantUnknown, asyncio.CancelledError):
            raise
        except Exception as exc:
            raise translate(exc) from exc
        finally:
            await self.pool.release(conn)

    async def _tenants(self) -> list[str]:
        conn = await self.pool.acquire()
        try:
            return [r[0] for r in await conn.fetch(_TENANT_SCHEMAS)]
        finally:
            await self.pool.release(conn)

    def _blocking(self, work: Callable[[PostgresTenantManager], Awaitable[T]]) -> T:
        """Run `work` on a manager of its own, in a loop of its own (for the CLI)."""

        async def run() -> T:
            manager = PostgresTenantManager(self.config)
            try:
                return await work(manager)
            finally:
                await manager.close()

        return asyncio.run(run())

    def provision(self, tenant_id: str) -> str:
        """Create (if missing) and migrate a tenant's schema; blocking, for the CLI."""
        self._blocking(lambda m: m._ensure(tenant_id, create=True))
        return f"schema {quote_ident(schema_name(tenant_id))}"

    def migrate_all(self) -> list[str]:
        """Upgrade every tenant schema to head; blocking, for the CLI."""

        async def work(manager: PostgresTenantManager) -> list[str]:
            tenants = await manager._tenants()
            for tenant_id in tenants:
                await manager._ensure(tenant_id, create=False)
            return tenants

        return self._blocking(work)

    def known_tenants(self) -> list[str]:
        """Every tenant schema in the database; blocking, for the CLI."""
        return self._blocking(lambda m: m._tenants())

    def start(self) -> None:
        """Nothing runs in the background: connections are opened on demand."""

    async def close(self) -> None:
        """Forget the stores and close the pool."""
        self._stores.clear()
        await self.pool.close()


async def _revision(conn: PmConnection, schema: str) -> str | None:
    ident = quote_ident(schema)
    if not await conn.fetchval(_HAS_VERSION, schema):
        return None
    value = await conn.fetchval(_REVISION.format(schema=ident))
    return None if value is None else str(value)
