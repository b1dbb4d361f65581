"""The export streams: its memory does not grow with the tenant (measured with tracemalloc).

Reports the figures (run with -s to see them); asserts only what streaming guarantees: the
peak for 100,000 items is within a few MiB of the peak for 10,000, and far below the size
of the document. `make bench`
(section sync) measures the server's RSS over HTTP.
"""

from __future__ import annotations

import asyncio
import tracemalloc
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bench import seed
from tests.conftest import token
from tests.helpers import API, create_project

SLACK = 4 * 1_048_576


async def _export_peak(app: FastAPI) -> tuple[int, int]:
    """(bytes of the document, peak bytes traced while it streamed), calling the ASGI app
    directly: a test client would keep the whole body."""
    auth = f"Bearer {token('acme', 'root', roles=['tenant_admin'])}".encode()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"{API}/sync/export",
        "raw_path": f"{API}/sync/export".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"authorization", auth)],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    size, status = 0, 0
    requested, never = [False], asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not requested[0]:
            requested[0] = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await never.wait()  # the client stays connected (cancelled when the answer is done)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal size, status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            size += len(message.get("body", b""))

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        await app(scope, receive, send)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert status == 200
    return size, peak


@pytest.mark.slow
async def test_export_memory_stays_flat(
    app: FastAPI, client: httpx.AsyncClient, data_dir: Any
) -> None:
    headers = {"Authorization": f"Bearer {token('acme', 'alice')}"}
    project = await create_project(client, headers)
    db = seed.tenant_db(data_dir, "acme")
    seed.bulk_items(db, project["id"], 10_000)
    small_size, small_peak = await _export_peak(app)
    seed.bulk_items(db, project["id"], 90_000)
    large_size, large_peak = await _export_peak(app)
    print(
        f"\nexport of 10,000 items: {small_size / 2**20:.1f} MiB streamed, "
        f"peak {small_peak / 2**20:.2f} MiB traced; 100,000 items: "
        f"{large_size / 2**20:.1f} MiB, peak {large_peak / 2**20:.2f} MiB"
    )
    assert large_size > 9 * small_size
    assert large_peak < small_peak + SLACK
    assert large_peak < large_size / 20
