"""Moving a tenant between engines: its SQLite file → its schema on PostgreSQL.

Every table is copied as it is (ids, versions, the event stream with its `seq`, the
activity log, idempotency answers), in foreign-key order, in one PostgreSQL transaction:
the target schema is created and migrated first and must hold no data yet (only the seeded
LLM context, which the source's replaces). Both sides must be at the same revision.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
from sqlalchemy import Boolean

from pm.core.errors import Conflict
from pm.db import migrate
from pm.db.pgtenants import PostgresTenantManager
from pm.db.postgres import PostgresConfig, lock_key, quote_ident, schema_name
from pm.db.tables import llm_context, metadata

SEEDED = llm_context.name  # filled by the migrations on both sides


async def sqlite_to_postgres(source: Path, url: str, tenant_id: str) -> dict[str, int]:
    """Copy the SQLite database at `source` into tenant `tenant_id`'s schema; rows per table."""
    schema = schema_name(tenant_id)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        revision = migrate.current_revision(reader)
        if revision != migrate.head_revision():
            raise Conflict(
                f"{source} is at revision {revision}, not {migrate.head_revision()}: "
                "run `pm-server migrate` on it first"
            )
        manager = PostgresTenantManager(PostgresConfig(url, pool_size=1, timeout=60))
        try:
            await manager.get(tenant_id)  # created and migrated to head
        finally:
            await manager.close()
        conn = await asyncpg.connect(url, timeout=10)
        try:
            async with conn.transaction():
                await conn.execute(f"SELECT pg_advisory_xact_lock({lock_key(tenant_id)})")
                await conn.execute(f"SET LOCAL search_path TO {quote_ident(schema)}")
                return await _copy_tables(reader, conn, schema, tenant_id)
        finally:
            await conn.close()
    finally:
        reader.close()


async def _copy_tables(
    reader: sqlite3.Connection, conn: asyncpg.Connection, schema: str, tenant_id: str
) -> dict[str, int]:
    tables = metadata.sorted_tables  # parents before children
    for table in tables:
        if table.name != SEEDED and await conn.fetchval(
            f"SELECT EXISTS (SELECT 1 FROM {table.name})"  # noqa: S608 - our table names
        ):
            raise Conflict(
                f"tenant {tenant_id!r} already has data on PostgreSQL ({table.name}); "
                "copy only into a new tenant"
            )
    await conn.execute(f"DELETE FROM {SEEDED}")  # noqa: S608
    copied: dict[str, int] = {}
    for table in tables:
        names = [c.name for c in table.columns]
        flags = [isinstance(c.type, Boolean) for c in table.columns]
        cursor = reader.execute(f"SELECT {', '.join(names)} FROM {table.name}")  # noqa: S608
        count = 0
        while batch := cursor.fetchmany(5000):
            rows = [
                tuple(
                    bool(v) if flag and v is not None else v
                    for v, flag in zip(row, flags, strict=True)
                )
                for row in batch
            ]
            await conn.copy_records_to_table(
                table.name, records=rows, columns=names, schema_name=schema
            )
            count += len(rows)
        copied[table.name] = count
    return copied
