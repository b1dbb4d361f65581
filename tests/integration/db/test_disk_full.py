"""A full disk or an I/O error on write answers 503, writes nothing and harms nothing."""

from __future__ import annotations

import resource
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import SECRET, bearer
from tests.helpers import API, create_project
from tests.live import running

BIG = {"key": "BIG", "title": "Needs new pages", "description": "d" * 60_000}


def tenant_file(data_dir: Path, tenant: str = "acme") -> Path:
    """The tenant's database file."""
    return data_dir / "tenants" / tenant / "main.db"


def state(path: Path) -> dict[str, object]:
    """What a write would change, read on a separate read-only connection, and its integrity."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("pm_projects", "pm_activity_log", "pm_events", "pm_idempotency_keys")
        }
        counts["last_seq"] = db.execute("SELECT coalesce(max(seq), 0) FROM pm_events").fetchone()[0]
        counts["integrity"] = [row[0] for row in db.execute("PRAGMA integrity_check")]
    finally:
        db.close()
    return counts


def assert_unavailable(response: httpx.Response) -> None:
    """503 problem+json with a Retry-After, never a 500."""
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert int(response.headers["retry-after"]) >= 1


async def test_full_disk_answers_503_writes_nothing_and_recovers(
    app: FastAPI, client: httpx.AsyncClient, data_dir: Path
) -> None:
    first = await create_project(client, bearer())
    store = await app.state.services.tenancy.manager.get("acme")
    (pages,) = store.conn.execute("PRAGMA page_count").fetchone()
    # The database may not grow by a single page: SQLite answers SQLITE_FULL, as on a full disk.
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    before = state(tenant_file(data_dir))
    keyed = {**bearer(), "Idempotency-Key": "big-1"}

    full = await client.post(f"{API}/projects", json=BIG, headers=keyed)

    assert_unavailable(full)
    assert state(tenant_file(data_dir)) == before  # no row, activity, event or seq taken
    assert before["integrity"] == ["ok"]
    assert not store.conn.in_transaction
    listed = await client.get(f"{API}/projects", headers=bearer())
    assert [p["id"] for p in listed.json()["items"]] == [first["id"]]  # reads go on
    assert (await client.get(f"{API}/projects/{first['id']}", headers=bearer())).status_code == 200

    store.conn.execute("PRAGMA max_page_count = 1073741823")  # space again
    again = await client.post(f"{API}/projects", json=BIG, headers=keyed)
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers  # the 503 was not remembered
    after = state(tenant_file(data_dir))
    assert after["pm_projects"] == before["pm_projects"] + 1
    assert after["integrity"] == ["ok"]


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs prlimit (Linux)")
def test_io_error_on_write_answers_503_and_leaves_the_database_intact(data_dir: Path) -> None:
    with (
        running(data_dir, SECRET) as server,
        httpx.Client(base_url=server.url, headers=bearer(), timeout=10) as http,
    ):
        first = http.post(f"{API}/projects", json={"key": "PONE", "title": "One"})
        assert first.status_code == 201
        before = state(tenant_file(data_dir))
        pid = server.process.pid
        limits = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        # No file of the server may grow: its writes fail with EFBIG, SQLite's SQLITE_IOERR.
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, limits[1]))
        try:
            failed = http.post(f"{API}/projects", json=BIG, headers={"Idempotency-Key": "io-1"})
            listed = http.get(f"{API}/projects")
            during = state(tenant_file(data_dir))
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, limits)
        again = http.post(f"{API}/projects", json=BIG, headers={"Idempotency-Key": "io-1"})
    assert_unavailable(failed)
    assert during == before
    assert listed.status_code == 200
    assert [p["key"] for p in listed.json()["items"]] == ["PONE"]
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers
    after = state(tenant_file(data_dir))
    assert after["integrity"] == ["ok"]
    assert after["pm_projects"] == before["pm_projects"] + 1
