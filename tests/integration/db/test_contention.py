"""Lock contention: many writers on one tenant while another process holds the write lock."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from pm.core.errors import Unavailable
from pm.db.query import sql
from pm.db.tenants import StorageConfig, TenantConnectionManager
from tests.conftest import bearer
from tests.helpers import API, create_project

WRITERS = 50
INSERT = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority)"
    " VALUES (:id, 'note', 'test', 't', 'c', 0)"
)


@contextmanager
def write_lock_held_elsewhere(data_dir: Path, tenant: str = "acme") -> Iterator[sqlite3.Connection]:
    """Another process's connection holding the tenant's write lock (BEGIN IMMEDIATE)."""
    outsider = sqlite3.connect(data_dir / "tenants" / tenant / "main.db", isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    try:
        yield outsider
    finally:
        if outsider.in_transaction:
            outsider.execute("ROLLBACK")
        outsider.close()


def _writes(
    client: httpx.AsyncClient, project_id: str, tag: str
) -> list[asyncio.Task[httpx.Response]]:
    url = f"{API}/projects/{project_id}/work-items"
    return [
        asyncio.create_task(
            client.post(url, json={"item_type": "task", "title": f"{tag} {n}"}, headers=bearer())
        )
        for n in range(WRITERS)
    ]


async def _titles(client: httpx.AsyncClient, project_id: str) -> list[str]:
    listed = await client.get(
        f"{API}/projects/{project_id}/work-items", params={"limit": 200}, headers=bearer()
    )
    assert listed.status_code == 200
    return [item["title"] for item in listed.json()["items"]]


async def test_fifty_writers_blocked_by_another_process_get_503_never_500(
    app: FastAPI, client: httpx.AsyncClient, data_dir: Path
) -> None:
    project = await create_project(client, bearer())
    store = await app.state.services.tenancy.manager.get("acme")
    store.busy_timeout = 0.1
    with write_lock_held_elsewhere(data_dir) as outsider:
        writes = _writes(client, project["id"], "blocked")
        read = await client.get(f"{API}/projects/{project['id']}", headers=bearer())
        # The outsider keeps the lock far longer than any writer may wait for it.
        await asyncio.sleep(1.5)
        outsider.execute("ROLLBACK")
        answers = await asyncio.gather(*writes)
    assert read.status_code == 200  # readers go on while writers wait
    assert [a.status_code for a in answers] == [503] * WRITERS
    for answer in answers:
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.json()["code"] == "SERVICE_UNAVAILABLE"
    assert await _titles(client, project["id"]) == []  # nothing half-written
    # Once the lock is free, the same writers succeed.
    again = await asyncio.gather(*_writes(client, project["id"], "after"))
    assert [a.status_code for a in again] == [201] * WRITERS
    assert sorted(a.json()["item_number"] for a in again) == list(range(1, WRITERS + 1))


async def test_writers_waiting_for_a_lock_released_in_time_all_succeed(
    app: FastAPI, client: httpx.AsyncClient, data_dir: Path
) -> None:
    project = await create_project(client, bearer())
    store = await app.state.services.tenancy.manager.get("acme")
    store.busy_timeout = 10.0
    with write_lock_held_elsewhere(data_dir) as outsider:
        writes = _writes(client, project["id"], "waiting")
        await asyncio.sleep(0.3)
        assert not any(w.done() for w in writes)  # they are waiting, not failing
        outsider.execute("ROLLBACK")
        answers = await asyncio.gather(*writes)
    assert [a.status_code for a in answers] == [201] * WRITERS
    assert sorted(a.json()["item_number"] for a in answers) == list(range(1, WRITERS + 1))
    assert sorted(await _titles(client, project["id"])) == sorted(
        f"waiting {n}" for n in range(WRITERS)
    )


async def test_writers_queued_behind_a_blocked_writer_share_its_busy_timeout(
    data_dir: Path,
) -> None:
    # Each writer may wait `busy_timeout` in all, counted from its arrival; queued writers
    # must not wait a full timeout each, one after another, while the outsider holds on.
    manager = TenantConnectionManager(StorageConfig(data_dir, busy_timeout=0.1))
    store = await manager.get("acme")

    async def write(n: int) -> str:
        try:
            async with store.transaction() as ex:
                await ex.run(INSERT, {"id": f"w{n}"})
        except Unavailable:
            return "unavailable"
        return "written"

    with write_lock_held_elsewhere(data_dir) as outsider:
        writers = [asyncio.create_task(write(n)) for n in range(20)]
        await asyncio.sleep(1.0)  # ten busy timeouts
        outsider.execute("ROLLBACK")
        outcomes = await asyncio.gather(*writers)
    assert outcomes == ["unavailable"] * 20
    assert await write(99) == "written"
    await manager.close()
