"""WORKERS=2: real worker processes on one port — events cross workers, a killed one is replaced."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from http.client import HTTPException
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import SECRET, token
from tests.live import SERVER, LiveServer, running
from tests.workers import PinnedHttp, children, owner
from tests.wsclient import WsClient, subscribe

pytestmark = pytest.mark.xdist_group("workers")  # two busy processes each: not beside another

WORKERS_ENV = {"WORKERS": "2"}
TENANT = "multi"


def _workers(server: LiveServer, count: int = 2, wait: float = 30) -> set[int]:
    """The supervisor's workers, once `count` of them serve."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        pids = children(server.process.pid)
        if len(pids) == count and all(_serving(server, pid) for pid in pids):
            return pids
        time.sleep(0.1)
    raise AssertionError(f"not {count} workers serving:\n{server.log()}")


def _serving(server: LiveServer, pid: int) -> bool:
    """True once the supervisor logged that worker `pid` serves."""
    for line in server.log().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("msg") == "worker serving" and record.get("pid") == pid:
            return True
    return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One two-worker server for the module's event tests."""
    data: Path = tmp_path_factory.mktemp("workers") / "data"
    with running(data, SECRET, extra_env={**WORKERS_ENV, "LOG_LEVEL": "info"}) as live:
        yield live


async def _subscriber_on(
    server: LiveServer, pids: set[int], worker: int, project: str, since: int | None = None
) -> tuple[WsClient, int]:
    """A WebSocket client that worker `worker` accepted, subscribed to `project`."""
    for _ in range(200):
        client = await WsClient.open(f"ws://127.0.0.1:{server.port}/ws", token(TENANT))
        port = client.conn.transport.get_extra_info("sockname")[1]
        if owner(pids, server.port, port) == worker:
            reply = await client.request("subscribe", subscribe([project], since_seq=since))
            assert reply.WhichOneof("payload") == "subscription_confirmed", reply
            return client, reply.subscription_confirmed.current_seq
        await client.close()
    raise AssertionError(f"worker {worker} accepted none of 200 WebSockets")


def _project(server: LiveServer, key: str) -> str:
    headers = {"Authorization": f"Bearer {token(TENANT)}"}
    created = httpx.post(
        f"{server.url}/api/v1/projects", json={"key": key, "title": key}, headers=headers
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _events(server: LiveServer, project: str, since: int = 0) -> list[dict[str, Any]]:
    """The project's events after `since`, from the stream (every page)."""
    headers = {"Authorization": f"Bearer {token(TENANT)}"}
    found: list[dict[str, Any]] = []
    while True:
        page = httpx.get(
            f"{server.url}/api/v1/events",
            params={"since_seq": since, "project_id": project, "limit": 1000},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        found += body["events"]
        if not body["events"]:
            return found
        since = body["next_since_seq"]


def _stream(server: LiveServer, project: str, since: int) -> list[int]:
    return [e["seq"] for e in _events(server, project, since)]


def _created(server: LiveServer, project: str) -> list[str]:
    return [e["entity_id"] for e in _events(server, project) if e["kind"] == "work_item_created"]


def _write(http: PinnedHttp, project: str, count: int, acked: list[str]) -> None:
    for n in range(count):
        status, body = http.call(
            "POST", f"/projects/{project}/work-items", {"item_type": "task", "title": f"t{n}"}
        )
        assert status == 201, body
        acked.append(body["id"])


async def test_subscribers_on_each_worker_get_every_event_in_order(server: LiveServer) -> None:
    pids = _workers(server)
    project = _project(server, "CROSS")
    subscribers = []
    base = None
    for worker in sorted(pids):
        for _ in range(2):
            client, seq = await _subscriber_on(server, pids, worker, project)
            subscribers.append(client)
            base = seq if base is None else min(base, seq)
    assert base is not None
    # Both workers write at once, so their commits interleave in the stream.
    writers = [PinnedHttp(server.port, pids, pid, token(TENANT)) for pid in sorted(pids)]
    acked: list[str] = []
    threads = [threading.Thread(target=_write, args=(w, project, 25, acked)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = _stream(server, project, base)
    assert len(expected) == 50 == len(acked)
    for client in subscribers:
        got = await client.events(len(expected), wait=10)
        assert [e.seq for e in got] == expected
        assert {e.work_item_created.work_item.id for e in got} == set(acked)
        assert await client.silent(0.3)  # each event once
        await client.close()
    for writer in writers:
        writer.close()


async def test_resume_on_another_worker_gets_exactly_what_was_missed(server: LiveServer) -> None:
    pids = _workers(server)
    first, second = sorted(pids)
    project = _project(server, "RESUME")
    client, resume_from = await _subscriber_on(server, pids, first, project)
    await client.close()
    writer = PinnedHttp(server.port, pids, first, token(TENANT))
    acked: list[str] = []
    await asyncio.to_thread(_write, writer, project, 10, acked)
    client, _ = await _subscriber_on(server, pids, second, project, since=resume_from)
    replayed = await client.events(10)
    assert [e.seq for e in replayed] == _stream(server, project, resume_from)
    await asyncio.to_thread(_write, writer, project, 5, acked)  # then live, from the other worker
    live = await client.events(5)
    assert [e.seq for e in live] == [replayed[-1].seq + n for n in range(1, 6)]
    assert [e.work_item_created.work_item.id for e in replayed + live] == acked
    await client.close()
    writer.close()


def _write_until(http: PinnedHttp, project: str, stop: threading.Event, acked: list[str]) -> None:
    """POST until told to stop or the connection breaks; only answered writes are acked."""
    n = 0
    while not stop.is_set():
        try:
            status, body = http.call(
                "POST", f"/projects/{project}/work-items", {"item_type": "task", "title": f"k{n}"}
            )
        except (OSError, ValueError, HTTPException):  # the worker died under it
            return
        assert status == 201, body
        acked.append(body["id"])
        n += 1


async def test_a_killed_worker_is_replaced_and_no_acknowledged_write_is_lost(
    tmp_path: Path,
) -> None:
    with running(tmp_path / "data", SECRET, extra_env={**WORKERS_ENV, "LOG_LEVEL": "info"}) as live:
        pids = _workers(live)
        victim, survivor = sorted(pids)
        project = _project(live, "KILL")
        watcher, base = await _subscriber_on(live, pids, survivor, project)
        stop = threading.Event()
        acked: dict[int, list[str]] = {victim: [], survivor: []}
        writers = {pid: PinnedHttp(live.port, pids, pid, token(TENANT)) for pid in pids}
        threads = [
            threading.Thread(target=_write_until, args=(writers[pid], project, stop, acked[pid]))
            for pid in pids
        ]
        for thread in threads:
            thread.start()
        await asyncio.sleep(1.0)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        survivor_before = len(acked[survivor])
        replacement: set[int] = set()
        while time.monotonic() - killed_at < 10 and not replacement:
            await asyncio.sleep(0.1)
            new = children(live.process.pid) - {survivor, victim}
            replacement = {pid for pid in new if _serving(live, pid)}
        assert replacement, f"no replacement serving within 10 s:\n{live.log()}"
        await asyncio.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        assert len(acked[survivor]) > survivor_before, "the other worker stopped serving"
        assert acked[victim], "the victim wrote nothing before it was killed"

        # Every acknowledged write is there, and the watcher got the whole stream in order.
        expected = _stream(live, project, base)
        assert set(acked[victim] + acked[survivor]) <= set(_created(live, project))
        got = await watcher.events(len(expected), wait=10)
        assert [e.seq for e in got] == expected
        await watcher.close()
        for writer in writers.values():
            writer.close()

        # SIGTERM stops the supervisor and every worker.
        workers_now = children(live.process.pid)
        live.process.send_signal(signal.SIGTERM)
        assert live.process.wait(20) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers_now)


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [([], {"WORKERS": "0"}, "WORKERS"), (["--workers", "many"], {}, "--workers")],
)
def test_an_invalid_worker_count_stops_startup_naming_it(
    tmp_path: Path, args: list[str], env: dict[str, str], named: str
) -> None:
    result = subprocess.run(
        [str(SERVER), "serve", *args],
        env={**os.environ, "DB_PATH": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
