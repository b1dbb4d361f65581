"""WAL checkpoints under sustained writes: the WAL starts from its beginning again.

SQLite restarts the WAL only at a commit that finds every frame copied back; a checkpoint
that runs while writers keep committing never gets there. Here the first copy is kept
from finishing deterministically: a reader holds a snapshot older than the last frames
(a checkpoint never copies past a reader's snapshot), and lets go once that copy is
done. The store's checkpoint must still leave the WAL to restart at the next commit.
"""

from __future__ import annotations

import asyncio
import sqlite3
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from pm.db import sqlite as sqlite_engine
from pm.db.query import sql
from pm.db.sqlite import SqliteStore
from pm.db.tenants import StorageConfig, TenantConnectionManager

INSERT = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, "
    "priority) VALUES (:id, 'note', 'test', 't', :content, 0)"
)
COUNT = "SELECT COUNT(*) FROM pm_llm_context WHERE category = 'test'"
real_checkpoint = sqlite_engine.checkpoint


async def _unit(store: SqliteStore, ident: str) -> None:
    async with store.transaction() as ex:
        await ex.run(INSERT, {"id": ident, "content": "c" * 2000})
        await asyncio.sleep(0)  # let other writers queue up behind this one


def _frames(path: Path) -> int:
    """The frames in the WAL, read from the wal-index header (mxFrame, at byte 16; see
    sqlite.org/walformat.html) without checkpointing anything."""
    header = path.with_name(path.name + "-shm").read_bytes()[:20]
    return int(struct.unpack("=I", header[16:20])[0])


def _pinned(path: Path) -> sqlite3.Connection:
    """A reader holding today's snapshot: no checkpoint copies the frames written after."""
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute(COUNT).fetchone()
    return reader


async def _grown_behind_a_reader(store: SqliteStore) -> tuple[sqlite3.Connection, int]:
    """A pinned reader, then 40 units written after its snapshot; the WAL's frames then."""
    pin = _pinned(store.path)
    await asyncio.gather(*(_unit(store, f"u{n}") for n in range(40)))
    return pin, _frames(store.path)


def _copy_stopped_short(
    calls: list[str], pin: sqlite3.Connection, before_letting_go: Callable[[], None] = lambda: None
) -> Callable[[Path], tuple[int, int]]:
    """The checkpoint, whose first run the pinned reader stops short of the last frames."""

    def copy(path: Path) -> tuple[int, int]:
        frames, copied = real_checkpoint(path)
        calls.append("copy" if copied == frames else "short")
        if len(calls) == 1:
            before_letting_go()
            pin.rollback()  # the reader lets go: the rest can be copied now
        return frames, copied

    return copy


@pytest.fixture
async def store(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setattr(sqlite_engine, "WAL_RESTART_FRAMES", 1)
    manager = TenantConnectionManager(StorageConfig(data_dir))
    opened = await manager.get("wal")
    assert isinstance(opened, SqliteStore)
    yield opened
    await manager.close()


async def test_a_copy_stopped_short_is_completed_and_the_wal_restarts(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin, grown = await _grown_behind_a_reader(store)
    calls: list[str] = []
    monkeypatch.setattr(sqlite_engine, "checkpoint", _copy_stopped_short(calls, pin))

    await store.checkpoint()
    await _unit(store, "after")

    assert calls == ["short", "copy"]  # the second with the writers held back
    assert _frames(store.path) < grown  # the last commit wrote from the WAL's beginning
    assert store.read_conn.execute(COUNT).fetchone()[0] == 41
    assert not store.in_transaction()
    assert not store.turn.held
    pin.close()


async def test_a_small_wal_is_copied_once_with_the_writers_going_on(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_engine, "WAL_RESTART_FRAMES", 10**9)
    pin = _pinned(store.path)
    await _unit(store, "one")
    calls: list[str] = []
    monkeypatch.setattr(sqlite_engine, "checkpoint", _copy_stopped_short(calls, pin))

    await store.checkpoint()

    assert calls == ["short"]
    pin.close()


async def test_writers_during_the_checkpoint_all_commit_and_a_batch_left_open_goes_first(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    pin, grown = await _grown_behind_a_reader(store)
    copying = threading.Event()
    writers_queued = threading.Event()

    def hold_the_first_copy() -> None:
        copying.set()
        assert writers_queued.wait(10)

    calls: list[str] = []
    monkeypatch.setattr(
        sqlite_engine, "checkpoint", _copy_stopped_short(calls, pin, hold_the_first_copy)
    )
    checkpointing = asyncio.create_task(store.checkpoint())
    await asyncio.to_thread(copying.wait, 10)
    # Units in flight when the checkpoint asks for the write lock: some have ended (their
    # batch is left open) while another holds the lock; the checkpoint queues behind them.
    writers = [asyncio.create_task(_unit(store, f"w{n}")) for n in range(20)]
    await asyncio.sleep(0)
    writers_queued.set()
    await asyncio.gather(checkpointing, *writers)
    await _unit(store, "after")

    assert calls == ["short", "copy"]
    assert store.read_conn.execute(COUNT).fetchone()[0] == 40 + 20 + 1
    assert _frames(store.path) < grown
    assert not store.in_transaction()
    assert not store.turn.held
    pin.close()


async def test_one_worker_checkpoints_a_database_at_a_time_and_once_an_interval(
    data_dir: Path, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_manager = TenantConnectionManager(StorageConfig(data_dir))  # as another worker
    other = await other_manager.get("wal")
    assert isinstance(other, SqliteStore)
    await _unit(store, "one")
    calls: list[Path] = []

    def copy(path: Path) -> tuple[int, int]:
        calls.append(path)
        return real_checkpoint(path)

    monkeypatch.setattr(sqlite_engine, "WAL_RESTART_FRAMES", 10**9)
    monkeypatch.setattr(sqlite_engine, "checkpoint", copy)
    try:
        assert await store.checkpoint(every=0)
        assert len(calls) == 1
        assert not await other.checkpoint(every=60)  # the first ended a moment ago
        assert len(calls) == 1
        assert await other.checkpoint(every=0)
        assert len(calls) == 2

        assert store.checkpoints.claim(unless_within=0)  # a checkpoint going on in one
        assert not await other.checkpoint(every=0)
        assert len(calls) == 2
        store.checkpoints.done()
        assert await other.checkpoint(every=0)
        assert len(calls) == 3
    finally:
        await other_manager.close()


async def test_commits_left_to_another_workers_checkpoint_are_checkpointed_later(
    data_dir: Path,
) -> None:
    manager = TenantConnectionManager(StorageConfig(data_dir, checkpoint_interval=0.02))
    other_manager = TenantConnectionManager(StorageConfig(data_dir))  # as another worker
    mine, other = await manager.get("wal"), await other_manager.get("wal")
    assert isinstance(mine, SqliteStore)
    assert isinstance(other, SqliteStore)
    assert other.checkpoints.claim(unless_within=0)  # the other worker's checkpoint runs
    manager.start()
    try:
        await _unit(mine, "one")
        await asyncio.sleep(0.2)  # ten rounds of the checkpointer, each left to the other
        assert mine.commits_since_checkpoint > 0
        other.checkpoints.done()
        await other.checkpoint(every=0)  # which may not see the commits after it
        for _ in range(250):  # up to 5 s
            if not mine.commits_since_checkpoint:
                break
            await asyncio.sleep(0.02)
        assert mine.commits_since_checkpoint == 0  # this worker's checkpoint took them
    finally:
        await manager.close()
        await other_manager.close()
