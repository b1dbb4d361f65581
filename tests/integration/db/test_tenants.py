"""TenantConnectionManager on real files: first use, concurrency, LRU bounds, provisioning."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import pytest

from pm.core.errors import TenantUnknown, Unauthenticated, Unavailable
from pm.db.query import sql
from pm.db.tenants import StorageConfig, TenantConnectionManager

PING = sql("SELECT 1")
INSERT = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority)"
    " VALUES (:id, 'note', 'test', 't', 'c', 0)"
)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_first_use_creates_migrated_database_once(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    stores = await asyncio.gather(*(manager.get("fresh") for _ in range(50)))
    assert len({id(s) for s in stores}) == 1
    path = data_dir / "tenants" / "fresh" / "main.db"
    assert path.exists()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT COUNT(*) FROM alembic_version").fetchone()[0] == 1
    conn = stores[0].conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    await manager.close()


async def test_lru_bounds_open_stores_and_file_descriptors(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir, max_open=4))
    await manager.get("warmup")
    await asyncio.sleep(0.05)
    baseline = _fds()
    for n in range(40):
        store = await manager.get(f"tenant-{n}")
        await store.executor.one(PING)
        assert manager.open_count <= 4
    await asyncio.sleep(0.2)  # evicted stores close in worker threads
    # Three stores more than at the baseline (the warm-up's was open), five descriptors
    # each: the database twice (two connections), its WAL and shared memory, the turn.
    assert _fds() - baseline <= 3 * 5
    # An evicted tenant reopens transparently with its data intact.
    async with manager.lease("tenant-0") as store:
        assert await store.executor.one(PING) == (1,)
    await manager.close()


async def test_leased_store_survives_eviction_until_released(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir, max_open=1))
    async with manager.lease("held") as held:
        await manager.get("other")  # evicts "held" from the cache
        assert not held.closed
        assert await held.executor.one(PING) == (1,)
    await asyncio.sleep(0.1)
    assert held.closed
    await manager.close()


async def test_unknown_tenants_refused_when_auto_create_is_off(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir, auto_create=False))
    with pytest.raises(TenantUnknown):
        await manager.get("nobody")
    assert not (data_dir / "tenants" / "nobody" / "main.db").exists()
    manager.provision("nobody")
    assert await (await manager.get("nobody")).executor.one(PING) == (1,)
    await manager.close()


async def test_invalid_tenant_ids_never_reach_the_filesystem(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    for bad in ("../escape", "", "x" * 64, "UPPER"):
        with pytest.raises(Unauthenticated):
            await manager.get(bad)
    assert not (data_dir / "escape").exists()
    assert not (data_dir / "tenants").exists()


async def test_write_lock_held_elsewhere_gives_unavailable_and_loop_stays_free(
    data_dir: Path,
) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir, busy_timeout=0.3))
    store = await manager.get("locked")
    outsider = sqlite3.connect(store.path, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    beat = asyncio.create_task(ticker())
    with pytest.raises(Unavailable) as caught:
        async with store.transaction() as ex:
            await ex.run(INSERT, {"id": "x"})
    beat.cancel()
    assert caught.value.retry_after >= 1
    assert ticks >= 10  # the loop kept running while the writer waited
    outsider.execute("ROLLBACK")
    async with store.transaction() as ex:  # and the lock is usable again
        await ex.run(INSERT, {"id": "y"})
    outsider.close()
    await manager.close()


async def test_failed_transaction_rolls_back(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("rollback")

    async def failing() -> None:
        async with store.transaction() as ex:
            await ex.run(INSERT, {"id": "gone"})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await failing()
    assert await store.executor.one(sql("SELECT id FROM pm_llm_context WHERE id = 'gone'")) is None
    assert not store.conn.in_transaction
    await manager.close()
