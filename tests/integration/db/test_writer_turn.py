"""The writer's turn across processes (`pm.db.turn`): taken at once when free, waited for
without polling when not, bounded by the busy timeout, never leaked — not even by a wait
that was given up, nor by a holder killed with SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pm.core.errors import Conflict, Unavailable
from pm.db import turn as turn_module
from pm.db.query import sql
from pm.db.sqlite import SqliteStore
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.db.turn import WriterTurn, lock_path

INSERT = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority)"
    " VALUES (:id, 'note', 'test', 't', 'c', 0)"
)
COUNT = sql("SELECT COUNT(*) FROM pm_llm_context WHERE category = 'test'")

# A process that takes the turn of the lock file argv[1], says so, and holds it until killed.
HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


def free(path: Path) -> bool:
    """Whether another open file description can take the turn right now (and gives it back)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # drops the lock if it was taken
    return True


@contextmanager
def held_elsewhere(path: Path) -> Iterator[int]:
    """The turn held through another open file description (as another worker would);
    yields its descriptor: `fcntl.flock(fd, fcntl.LOCK_UN)` gives it back early."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield fd
    finally:
        os.close(fd)


async def _eventually_free(path: Path, within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if free(path):
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_free_turn_is_taken_at_once_without_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "main.db-wlock"
    turn = WriterTurn(path)
    pool = turn_module.waiters()
    before = pool._work_queue.qsize(), len(pool._threads)
    assert await turn.take(time.monotonic())  # no time to wait at all: it must not need any
    assert turn.held
    assert turn.waits == 0
    assert (pool._work_queue.qsize(), len(pool._threads)) == before
    assert not free(path)
    turn.give_back()
    assert free(path)
    turn.close()


async def test_a_waiter_wakes_as_soon_as_the_holder_gives_the_turn_back(tmp_path: Path) -> None:
    path = tmp_path / "main.db-wlock"
    turn = WriterTurn(path)
    with held_elsewhere(path) as other:
        waiting = asyncio.create_task(turn.take(time.monotonic() + 5.0))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # it waits (in a thread: the loop runs meanwhile)
        given_back = time.monotonic()
        fcntl.flock(other, fcntl.LOCK_UN)
        assert await waiting
        woken = time.monotonic() - given_back
    assert woken < 0.1, f"woken {woken * 1000:.0f} ms after the turn was given back"
    assert turn.held
    assert turn.waits == 1
    assert not free(path)
    turn.close()
    assert free(path)


async def test_a_timed_out_wait_gives_the_turn_back_when_it_comes_after_all(
    tmp_path: Path,
) -> None:
    path = tmp_path / "main.db-wlock"
    turn = WriterTurn(path)
    with held_elsewhere(path) as other:
        started = time.monotonic()
        assert not await turn.take(time.monotonic() + 0.1)
        assert 0.09 <= time.monotonic() - started < 1.0
        assert not turn.held
        fcntl.flock(other, fcntl.LOCK_UN)  # the abandoned thread now gets the turn...
        assert await _eventually_free(path)  # ...and gives it straight back
    assert await turn.take(time.monotonic() + 1.0)  # and the turn still works
    turn.close()


async def test_a_cancelled_wait_gives_the_turn_back_when_it_comes_after_all(
    tmp_path: Path,
) -> None:
    path = tmp_path / "main.db-wlock"
    turn = WriterTurn(path)
    with held_elsewhere(path) as other:
        waiting = asyncio.create_task(turn.take(time.monotonic() + 5.0))
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert not turn.held
        fcntl.flock(other, fcntl.LOCK_UN)
        assert await _eventually_free(path)
    turn.close()


async def test_closing_during_a_wait_leaks_no_turn(tmp_path: Path) -> None:
    path = tmp_path / "main.db-wlock"
    turn = WriterTurn(path)
    with held_elsewhere(path) as other:
        waiting = asyncio.create_task(turn.take(time.monotonic() + 5.0))
        await asyncio.sleep(0.1)
        turn.close()
        fcntl.flock(other, fcntl.LOCK_UN)
        assert not await waiting  # the store is closed: no turn for it
        assert await _eventually_free(path)


async def _store(
    data_dir: Path, busy_timeout: float = 5.0
) -> tuple[TenantConnectionManager, SqliteStore]:
    manager = TenantConnectionManager(StorageConfig(data_dir, busy_timeout=busy_timeout))
    return manager, await manager.get("acme")


async def _write(store: SqliteStore, ident: str) -> str:
    try:
        async with store.transaction() as ex:
            await ex.run(INSERT, {"id": ident})
    except Unavailable:
        return "unavailable"
    return "written"


async def test_the_lock_file_sits_beside_the_database_and_is_no_tenant(data_dir: Path) -> None:
    manager, store = await _store(data_dir)
    assert await _write(store, "w1") == "written"
    assert lock_path(store.path) == store.path.with_name("main.db-wlock")
    assert lock_path(store.path).exists()
    assert manager.known_tenants() == ["acme"]
    assert free(lock_path(store.path))  # given back with the commit
    await manager.close()


async def test_writers_wait_for_the_turn_then_all_commit_in_one_batch(data_dir: Path) -> None:
    manager, store = await _store(data_dir)
    commits = store.commits_since_checkpoint
    with held_elsewhere(lock_path(store.path)) as other:
        writers = [asyncio.create_task(_write(store, f"w{n}")) for n in range(20)]
        await asyncio.sleep(0.3)
        assert not any(w.done() for w in writers)
        fcntl.flock(other, fcntl.LOCK_UN)
        assert await asyncio.gather(*writers) == ["written"] * 20
    assert store.commits_since_checkpoint - commits <= 2  # they piled up into one batch
    assert free(lock_path(store.path))
    await manager.close()


async def test_writers_kept_from_the_turn_past_the_busy_timeout_get_unavailable(
    data_dir: Path,
) -> None:
    manager, store = await _store(data_dir, busy_timeout=0.1)
    with held_elsewhere(lock_path(store.path)):
        started = time.monotonic()
        outcomes = await asyncio.gather(*(_write(store, f"w{n}") for n in range(10)))
        # Queued writers share the first one's budget: not ten timeouts one after another.
        assert time.monotonic() - started < 0.5
    assert outcomes == ["unavailable"] * 10
    assert await _eventually_free(lock_path(store.path))  # the abandoned wait gave it back
    assert await _write(store, "after") == "written"
    assert (await store.read_executor.one(COUNT)) == (1,)
    await manager.close()


async def test_two_stores_on_one_file_take_turns_and_lose_nothing(data_dir: Path) -> None:
    # Two managers stand for two workers: each has its own open file description.
    first, a = await _store(data_dir)
    second, b = await _store(data_dir)
    results = await asyncio.gather(
        *(_write(a if n % 2 else b, f"w{n}") for n in range(200)),
    )
    assert results == ["written"] * 200
    assert (await a.read_executor.one(COUNT)) == (200,)
    assert a.turn.waits + b.turn.waits > 0  # they did meet
    await first.close()
    await second.close()
    assert free(lock_path(a.path))


async def test_the_turn_is_given_back_when_a_commit_fails(data_dir: Path) -> None:
    manager, store = await _store(data_dir)
    store.conn.execute("CREATE TABLE t_parent (id TEXT PRIMARY KEY)")
    store.conn.execute(
        "CREATE TABLE t_child (p TEXT REFERENCES t_parent (id) DEFERRABLE INITIALLY DEFERRED)"
    )

    async def orphan() -> None:
        async with store.transaction() as ex:
            await ex.run(sql("INSERT INTO t_child (p) VALUES ('nobody')"))

    with pytest.raises(Conflict):  # the deferred foreign key fails the COMMIT itself
        await orphan()
    assert not store.in_transaction()
    assert free(lock_path(store.path))
    assert await _write(store, "after") == "written"
    await manager.close()


async def test_the_turn_is_given_back_when_a_unit_fails_and_on_close(data_dir: Path) -> None:
    manager, store = await _store(data_dir)

    async def failing() -> None:
        async with store.transaction() as ex:
            await ex.run(INSERT, {"id": "undone"})
            raise RuntimeError("the use case fails")

    with pytest.raises(RuntimeError):
        await failing()
    assert free(lock_path(store.path))
    await store.begin()  # a turn held when the store closes (shutdown mid-batch)
    assert not free(lock_path(store.path))
    await manager.close()
    assert free(lock_path(store.path))


async def test_a_writer_proceeds_once_the_holder_is_killed(data_dir: Path) -> None:
    manager, store = await _store(data_dir)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, str(lock_path(store.path)), stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None
        assert (await holder.stdout.readline()).strip() == b"held"
        writer = asyncio.create_task(_write(store, "after-kill"))
        await asyncio.sleep(0.3)
        assert not writer.done()  # waiting for the holder's turn
        os.kill(holder.pid, signal.SIGKILL)
        assert await asyncio.wait_for(writer, 2.0) == "written"
    finally:
        with contextlib.suppress(ProcessLookupError):
            holder.kill()
        await holder.wait()
    assert (await store.read_executor.one(COUNT)) == (1,)
    await manager.close()


def test_a_forked_process_makes_its_own_wait_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    parents = turn_module.waiters()
    assert turn_module.waiters() is parents
    monkeypatch.setattr(turn_module.os, "getpid", lambda: -1)  # as in a forked worker
    assert turn_module.waiters() is not parents
