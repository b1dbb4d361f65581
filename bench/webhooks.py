"""The webhooks section: what 10 subscriptions cost a writer, and how soon an event arrives.

1. POST create throughput (8 connections, a fixed count) into a project with no
   subscription, then into one with 10 subscriptions to a local receiver: the ratio.
2. Delivery latency: one subscription, POSTs paced at `rate` per second; the latency of an
   event is its arrival at the receiver minus the moment its POST was answered (the commit
   comes before the answer, so this is commit → received, give or take the answer's trip).

The receiver is a threaded `http.server` in this process, answering 200.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.servers import start_pm, stop, token

SUBSCRIPTIONS = 10
ENV = {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "WEBHOOK_POLL_INTERVAL": "0.5"}


class Arrivals:
    """When each item title's `work_item.created` delivery arrived, and how many came."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.at: dict[str, float] = {}
        self.count = 0


def _receiver(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.perf_counter()
            title = json.loads(body).get("data", {}).get("title", "")
            with arrivals.lock:
                arrivals.count += 1
                arrivals.at.setdefault(title, now)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


async def _posts(url: str, headers: dict[str, str], project: str, count: int, tag: str) -> float:
    """Seconds for `count` creations from 8 connections."""
    queue = iter(range(count))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            for i in queue:
                r = await client.post(
                    f"/api/v1/projects/{project}/work-items",
                    json={"item_type": "task", "title": f"{tag}-{i}"},
                )
                assert r.status_code == 201, r.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(8)))
        return time.perf_counter() - started


async def _paced(
    url: str, headers: dict[str, str], project: str, rate: float, seconds: float
) -> dict[str, float]:
    """POST at `rate`/s for `seconds`; when each title's POST was answered."""
    answered: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:

        async def one(i: int) -> None:
            title = f"paced-{i}"
            r = await client.post(
                f"/api/v1/projects/{project}/work-items", json={"item_type": "task", "title": title}
            )
            assert r.status_code == 201, r.text
            answered[title] = time.perf_counter()

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return answered


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(work: Path, quick: bool) -> dict[str, Any]:
    """Both measurements on a fresh server."""
    count = 600 if quick else 1500
    rate, seconds = 200.0, 2.0 if quick else 5.0
    arrivals = Arrivals()
    receiver = _receiver(arrivals)
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    pm = start_pm(work / "webhooks-data", work, extra_env=ENV)
    headers = {"Authorization": f"Bearer {token('hooks')}"}
    try:
        with httpx.Client(base_url=pm.url, headers=headers, timeout=30) as client:
            plain = seed.create_project(client, "PLAIN", "No subscriptions")["id"]
            hooked = seed.create_project(client, "HOOKED", "Ten subscriptions")["id"]
            timed = seed.create_project(client, "TIMED", "One subscription")["id"]
            for project, n in ((hooked, SUBSCRIPTIONS), (timed, 1)):
                for _ in range(n):
                    made = client.post(
                        "/api/v1/webhooks",
                        json={"url": hook_url, "event_types": ["work_item.created"],
                              "project_id": project},
                    )  # fmt: skip
                    assert made.status_code == 201, made.text
        none_s = asyncio.run(_posts(pm.url, headers, plain, count, "plain"))
        ten_s = asyncio.run(_posts(pm.url, headers, hooked, count, "hooked"))
        expected = count * SUBSCRIPTIONS
        deadline = time.monotonic() + 120
        while arrivals.count < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        with arrivals.lock:
            arrivals.at.clear()
            arrivals.count = 0
        answered = asyncio.run(_paced(pm.url, headers, timed, rate, seconds))
        deadline = time.monotonic() + 60
        while len(arrivals.at) < len(answered) and time.monotonic() < deadline:
            time.sleep(0.05)
        latencies = [(arrivals.at[t] - answered[t]) * 1000 for t in answered if t in arrivals.at]
    finally:
        stop(pm)
        receiver.shutdown()
    return {
        "count": count,
        "subscriptions": SUBSCRIPTIONS,
        "none_rps": count / none_s,
        "ten_rps": count / ten_s,
        "rate": rate,
        "events": len(answered),
        "received": len(latencies),
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
    }
