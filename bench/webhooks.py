"""The webhooks section: what 10 subscriptions cost a writer, and how soon an event arrives.

1. POST create throughput (8 connections from a load process, for a fixed time) into a
   project with no subscription, then into one with 10 subscriptions to a local receiver:
   the ratio.
2. Delivery latency: one subscription, POSTs paced at `rate` per second; the latency of an
   event is its arrival at the receiver minus the moment its POST was sent (the commit
   comes after that, so this bounds commit → received from above).

The receiver is a threaded `http.server` in a process of its own, answering 200.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.load import (
    HttpConnection,
    Job,
    Request,
    Result,
    Scenario,
    connect,
    run_loop,
    run_separately,
)
from bench.servers import LOAD_CORE, ROOT, pin, start_pm, stop, token

SUBSCRIPTIONS = 10
ENV = {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "WEBHOOK_POLL_INTERVAL": "0.5"}


class Receiver:
    """A receiver in a process of its own (pinned to the load core): each delivery's
    `work_item.created` title and CLOCK_MONOTONIC arrival time, one line per request, in a
    file. Out of this process, its threads take no time from the load's event loop (in one
    process the loop fell half a second behind at 200 events/s and the figure was its lag)."""

    def __init__(self, work: Path) -> None:
        self.log = work / f"webhook-arrivals-{os.getpid()}.tsv"
        self.log.write_text("")
        argv = [sys.executable, "-m", "bench.webhooks", str(self.log)]
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE)
        pin(self.process.pid, LOAD_CORE)
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.skip = 0  # lines of earlier phases

    def lines(self) -> list[list[str]]:
        """This phase's arrivals as [title, seconds]."""
        rows = self.log.read_text().splitlines()[self.skip :]
        return [row.split("\t") for row in rows if row.count("\t") == 1]

    def wait(self, count: int, within: float) -> int:
        """Wait until `count` requests arrived in this phase (or `within` s passed)."""
        deadline = time.monotonic() + within
        while (got := len(self.lines())) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return got

    def settle(self, within: float) -> None:
        """Wait until nothing has arrived for a second (or `within` s passed)."""
        deadline = time.monotonic() + within
        seen = -1
        while (got := len(self.lines())) != seen and time.monotonic() < deadline:
            seen = got
            time.sleep(1.0)

    def next_phase(self) -> None:
        """Count from here on."""
        self.skip = len(self.log.read_text().splitlines())

    def first_arrivals(self) -> dict[str, float]:
        """When each title first arrived in this phase."""
        out: dict[str, float] = {}
        for title, at in self.lines():
            out.setdefault(title, float(at))
        return out

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def _serve(log: Path) -> None:
    """The receiver process: answer 200 to every POST, log its title and arrival time."""
    lock = threading.Lock()
    out = log.open("a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.monotonic()
            title = json.loads(body).get("data", {}).get("title", "")
            with lock:
                out.write(f"{title}\t{now}\n")
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def _posts(
    port: int, bearer: str, projects: dict[str, str], seconds: float, work: Path
) -> list[Result]:
    """POST create throughput into each project (name → id), one after the other, from a
    load process of its own (8 raw keep-alive connections, as the REST section's)."""
    jobs = []
    for name, project in projects.items():
        body = json.dumps({"item_type": "task", "title": name})
        request = Request(
            "POST",
            f"/api/v1/projects/{project}/work-items",
            {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
            body,
        )
        jobs.append(Job(port, Scenario(name, [request], connections=8, duration=seconds)))
    return run_separately("127.0.0.1", jobs, work / "webhooks-posts.json")


async def _paced(
    port: int, bearer: str, project: str, rate: float, seconds: float
) -> dict[str, tuple[float, float]]:
    """POST at `rate`/s for `seconds` over raw keep-alive connections (bench.load's: little
    client CPU, so the send times are when the requests left); each title's sent and
    answered times."""
    times: dict[str, tuple[float, float]] = {}
    pool: asyncio.Queue[HttpConnection] = asyncio.Queue()
    for _ in range(16):
        pool.put_nowait(await connect("127.0.0.1", port))

    async def one(i: int) -> None:
        title = f"paced-{i}"
        request = Request(
            "POST",
            f"/api/v1/projects/{project}/work-items",
            {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
            json.dumps({"item_type": "task", "title": title}),
        ).encode("127.0.0.1")
        conn = await pool.get()
        try:
            if conn.lost:
                conn = await connect("127.0.0.1", port)
            sent = time.monotonic()
            status, _ = await conn.request(request)
            times[title] = (sent, time.monotonic())
        finally:
            pool.put_nowait(conn)
        assert status == 201, status

    tasks = []
    start = time.monotonic()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    return times


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run(work: Path, quick: bool) -> dict[str, Any]:
    """Both measurements on a fresh server."""
    rate, seconds = 200.0, 2.0 if quick else 5.0
    receiver = Receiver(work)
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
                        json={"url": receiver.url, "event_types": ["work_item.created"],
                              "project_id": project},
                    )  # fmt: skip
                    assert made.status_code == 201, made.text
        plain_rps, hooked_rps = [], []
        for _ in range(1 if quick else 3):  # alternating, the median of each
            none, ten = _posts(
                pm.port, token("hooks"), {"plain": plain, "hooked": hooked}, seconds, work
            )
            plain_rps.append(none.rps)
            hooked_rps.append(ten.rps)
            receiver.settle(within=120)  # the hooked phase's deliveries, before what follows
        receiver.next_phase()
        times = run_loop(_paced(pm.port, token("hooks"), timed, rate, seconds))
        receiver.wait(len(times), within=60)
        arrived = receiver.first_arrivals()
        # From the moment the POST was sent: its commit comes later, so this bounds commit →
        # received from above, whatever the load's own loop lags in noticing the answer.
        latencies = [(arrived[t] - times[t][0]) * 1000 for t in times if t in arrived]
        early = sum(1 for t in times if t in arrived and arrived[t] < times[t][1])
    finally:
        stop(pm)
        receiver.stop()
    return {
        "seconds": seconds,
        "subscriptions": SUBSCRIPTIONS,
        "none_rps": statistics.median(plain_rps),
        "ten_rps": statistics.median(hooked_rps),
        "rounds": {"none_rps": plain_rps, "ten_rps": hooked_rps},
        "rate": rate,
        "events": len(times),
        "received": len(latencies),
        "p50_ms": _percentile(latencies, 0.5),
        "p99_ms": _percentile(latencies, 0.99),
        # Arrivals before the load noticed their POST's answer (its loop lagging behind).
        "early": early,
    }


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
