"""The bulk section: 1,000 items created by one POST /bulk against 1,000 single POSTs.

Both go to the same server, over one keep-alive connection (`http.client`, the cheapest
client), one request at a time — the way a script or an agent creates a plan. The single
POSTs each pay a round trip and a commit; the bulk request pays one of each.
"""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.servers import start_pm, stop, token

TENANT = "bulk"
ITEMS = 1000


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, headers: dict[str, str]) -> int:
    conn.request("POST", path, body, headers)
    response = conn.getresponse()
    response.read()
    return response.status


def one_round(port: int, headers: dict[str, str], singles: str, bulk: str) -> dict[str, float]:
    """Seconds for ITEMS single POSTs into `singles` and for one bulk of ITEMS into `bulk`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        path = f"/api/v1/projects/{singles}/work-items"
        body = json.dumps({"item_type": "story", "title": "A story created one by one"}).encode()
        started = time.perf_counter()
        for _ in range(ITEMS):
            status = _post(conn, path, body, headers)
            assert status == 201, status
        single = time.perf_counter() - started
        operations = [
            {
                "op": "create",
                "entity": "work_item",
                "project_id": bulk,
                "item_type": "story",
                "title": "A story created in bulk",
            }
            for _ in range(ITEMS)
        ]
        payload = json.dumps({"operations": operations}).encode()
        started = time.perf_counter()
        status = _post(conn, "/api/v1/bulk", payload, headers)
        assert status == 200, status
        many = time.perf_counter() - started
    finally:
        conn.close()
    return {"single_seconds": single, "bulk_seconds": many, "bulk_body_bytes": len(payload)}


def run(work: Path, runs: int) -> dict[str, Any]:
    """`runs` rounds on a fresh server."""
    pm = start_pm(work / "bulk-data", work)
    auth = {"Authorization": f"Bearer {token(TENANT)}"}
    headers = {**auth, "Content-Type": "application/json"}
    try:
        with httpx.Client(base_url=pm.url, headers=auth, timeout=30) as client:
            singles = seed.create_project(client, "SINGLE", "Created one by one")["id"]
            bulk = seed.create_project(client, "BULK", "Created in bulk")["id"]
        rounds = [one_round(pm.port, headers, singles, bulk) for _ in range(runs)]
    finally:
        stop(pm)
    return {"items": ITEMS, "rounds": rounds}
