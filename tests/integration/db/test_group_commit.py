"""Group commit: concurrent units share commits, each is all-or-nothing, none is acknowledged
before it is durable."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from pm.core.errors import Unavailable
from pm.db import groupcommit
from pm.db.query import sql
from pm.db.tenants import StorageConfig, TenantConnectionManager

INSERT = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, "
    "priority) VALUES (:id, 'note', 'test', 't', :content, 0)"
)
COUNT = "SELECT COUNT(*) FROM pm_llm_context WHERE category = 'test'"


async def _unit(store: object, ident: str, fail: bool = False, content: str = "c") -> None:
    async with store.transaction() as ex:  # type: ignore[attr-defined]
        await ex.run(INSERT, {"id": ident, "content": content})
        await asyncio.sleep(0)  # let other writers queue up behind this one
        if fail:
            raise RuntimeError(f"unit {ident} fails")


async def test_concurrent_units_share_commits_and_are_all_durable(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    before = store.commits_since_checkpoint
    await asyncio.gather(*(_unit(store, f"u{n}") for n in range(40)))
    commits = store.commits_since_checkpoint - before
    assert 1 <= commits < 40
    outside = sqlite3.connect(store.path)  # another connection sees every acknowledged unit
    assert outside.execute(COUNT).fetchone()[0] == 40
    outside.close()
    await manager.close()


async def test_a_failing_unit_takes_only_its_own_rows(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    results = await asyncio.gather(
        *(_unit(store, f"u{n}", fail=n % 3 == 0) for n in range(12)), return_exceptions=True
    )
    failed = {n for n, r in enumerate(results) if isinstance(r, RuntimeError)}
    assert failed == {0, 3, 6, 9}
    rows = {
        r[0]
        for r in store.read_conn.execute("SELECT id FROM pm_llm_context WHERE category = 'test'")
    }
    assert rows == {f"u{n}" for n in range(12) if n not in failed}
    await manager.close()


async def test_a_failed_commit_acknowledges_none_of_its_batch(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is "full"
    big = "x" * 20_000
    results = await asyncio.gather(
        *(_unit(store, f"u{n}", content=big) for n in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, Unavailable) for r in results)
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.read_conn.execute(COUNT).fetchone()[0] == 0
    await _unit(store, "after")  # the store works again
    assert store.read_conn.execute(COUNT).fetchone()[0] == 1
    await manager.close()


async def test_reads_see_only_committed_units(data_dir: Path) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    seen: list[int] = []

    async def writer() -> None:
        async with store.transaction() as ex:
            await ex.run(INSERT, {"id": "w", "content": "c"})
            reader = await store.reader()
            seen.append((await reader.one(sql(COUNT)))[0])  # type: ignore[index]

    await writer()
    assert seen == [0]  # inside the unit, the reader connection did not see the row
    assert (await (await store.reader()).one(sql(COUNT))) == (1,)
    await manager.close()


@pytest.mark.parametrize("writers", [1, 5])
async def test_units_end_with_no_transaction_left_open(data_dir: Path, writers: int) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    await asyncio.gather(*(_unit(store, f"x{writers}-{n}") for n in range(writers)))
    await asyncio.sleep(0.01)
    assert not store.conn.in_transaction
    await manager.close()


async def _unit_after(store: object, turns: int) -> None:
    """A unit that starts `turns` loop turns from now and never yields while it writes."""
    for _ in range(turns):
        await asyncio.sleep(0)
    async with store.transaction() as ex:  # type: ignore[attr-defined]
        await ex.run(INSERT, {"id": f"late{turns}", "content": "c"})


async def test_units_that_keep_joining_share_one_commit(data_dir: Path) -> None:
    # Writers arriving one loop turn after another (requests read from the network while
    # the batch is open) join the open batch instead of each paying for a commit.
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    before = store.commits_since_checkpoint
    await asyncio.gather(*(_unit_after(store, n) for n in range(8)))
    assert store.commits_since_checkpoint - before == 1
    assert store.read_conn.execute(COUNT).fetchone()[0] == 8
    await manager.close()


async def test_a_batch_is_held_open_no_longer_than_max_hold(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(groupcommit, "MAX_HOLD", 0.0)
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    before = store.commits_since_checkpoint
    await asyncio.gather(*(_unit_after(store, n) for n in range(8)))
    assert store.commits_since_checkpoint - before > 1
    assert store.read_conn.execute(COUNT).fetchone()[0] == 8
    await manager.close()


async def test_a_writer_cancelled_while_its_batch_is_open_strands_nobody(
    data_dir: Path,
) -> None:
    # A WebSocket command whose connection drops while it waits for its commit is cancelled;
    # its unit still commits (and publishes), and the other units of the batch are answered.
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    published: list[str] = []

    async def unit(ident: str) -> None:
        ex = await store.begin_unit()
        await ex.run(INSERT, {"id": ident, "content": "c"})
        await store.end_unit(True, on_commit=lambda: published.append(ident))

    first = asyncio.create_task(unit("gone"))
    await asyncio.sleep(0)  # "gone" has ended its unit and waits for the batch's commit
    first.cancel()
    await asyncio.wait_for(asyncio.gather(unit("a"), unit("b")), timeout=5)
    assert first.cancelled()
    assert published == ["gone", "a", "b"]
    assert store.read_conn.execute(COUNT).fetchone()[0] == 3
    await manager.close()


class _FailingRelease:
    """A connection whose next `RELEASE unit` fails (as an I/O error would)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.armed = False

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)

    def execute(self, statement: str, *args: object) -> sqlite3.Cursor:
        if self.armed and statement == "RELEASE unit":
            self.armed = False
            raise sqlite3.OperationalError("disk I/O error")
        return self.conn.execute(statement, *args)


async def test_a_failed_release_fails_every_unit_it_undid(data_dir: Path) -> None:
    # Closing a savepoint that fails rolls the whole batch transaction back: the unit kept
    # before it in the same batch is undone too, and neither may be answered as durable.
    manager = TenantConnectionManager(StorageConfig(data_dir))
    store = await manager.get("group")
    proxy = _FailingRelease(store.conn)
    store.conn = proxy  # type: ignore[assignment]

    async def unit(ident: str, fail_release: bool = False) -> None:
        ex = await store.begin_unit()
        await ex.run(INSERT, {"id": ident, "content": "c"})
        proxy.armed = fail_release
        await store.end_unit(True)

    first = asyncio.create_task(unit("kept"))
    await asyncio.sleep(0)  # "kept" has released its savepoint and waits for the commit
    results = await asyncio.gather(first, unit("broken", fail_release=True), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results), results
    assert store.read_conn.execute(COUNT).fetchone()[0] == 0
    await unit("after")  # the store works again
    assert store.read_conn.execute(COUNT).fetchone()[0] == 1
    await manager.close()
