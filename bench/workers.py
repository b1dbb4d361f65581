"""WORKERS=2 against WORKERS=1, same data, same run: REST throughput and cross-worker events.

- GET by id and POST create, each round against one worker and then two (a fresh server
  each time, over the same seeded data); the figure is the ratio of the two throughputs,
  round by round. Throughput is what a server sustains when it is kept busy, so each
  scenario offers the concurrency that saturates one worker (`CONNECTIONS`): GET at 16
  connections, POST at 64. A closed loop of 16 writers cannot keep two writing workers
  busy: each worker's batch then holds all of its ~8 connections' requests and waits for
  the other's commit, with CPU left idle (docs/performance.md has the sweep). That figure
  is reported too ("POST create, 16 connections"), without a target.
- Event latency with two workers: 100 subscribers and a REST driver at 20 creations/s.
  The kernel spreads both the subscribers' and the driver's connections over the two
  workers, so about half the deliveries cross from the worker that wrote to the one that
  holds the subscriber — and those are the slow half (the other worker notices the commit
  by polling), so the p99 over every delivery is a p98 of the crossing ones.

- With redis-server installed: two instances (WORKERS=1 each) sharing the database and a
  Redis (BROADCAST_URL), 1,000 subscribers split over them, the driver writing to the
  first at 20 creations/s: half the deliveries cross from one instance to the other over
  Redis pub/sub. Here they share SQLite on this machine; bench.postgres runs the same on
  PostgreSQL.

Neither the servers nor the load processes are pinned here (a second worker needs the
second core), so the load shares the cores with the servers, equally in both cases.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from bench import seed, wsfanout
from bench.load import COUNTER, Job, Request, Scenario, run_separately
from bench.rest import CREATE_BODY
from bench.servers import free_port, start_pm, stop, token

TENANT = "workers"
SUBSCRIBERS = 100
INSTANCE_SUBSCRIBERS = 1000
RATE = 20.0
# Connections per scenario: where one worker's throughput stops growing (measured by a
# sweep of 16/32/64/128: one worker's POST peaks at 32-64, two workers' keeps growing).
CONNECTIONS = {"GET by id": 16, "POST create": 64, "POST create, 16 connections": 16}


class Redis:
    """A throw-away redis-server on a free port (no persistence), for the instances."""

    def __init__(self) -> None:
        self.port = free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        self.process = subprocess.Popen(
            [*argv, "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def url(self) -> str:
        """Its BROADCAST_URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop it."""
        self.process.kill()
        self.process.wait()


def instances(
    work: Path,
    data: Path,
    fan: str,
    quick: bool,
    tenant: str = TENANT,
    extra_env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """1,000 subscribers split over two instances sharing the database and a Redis; the
    driver writes to the first, so half the deliveries cross over Redis.

    `fan` is a project of `tenant` whose viewers are u0…u999; `extra_env` picks the shared
    database (DATABASE_URL, for PostgreSQL; the default: the SQLite files under `data`).
    """
    redis = Redis()
    servers = []
    try:
        env = {**(extra_env or {}), "BROADCAST_URL": redis.url}
        servers = [start_pm(data, work, env, pinned=False) for _ in range(2)]
        spec = wsfanout.Spec(
            "127.0.0.1",
            servers[0].port,
            INSTANCE_SUBSCRIBERS,
            fan,
            token(tenant),
            [token(tenant, f"u{i}") for i in range(INSTANCE_SUBSCRIBERS)],
            rate=RATE,
            duration=2.0 if quick else 3.0,
            runs=1 if quick else 3,
            saturation=False,
            client_ports=[s.port for s in servers],
        )
        name = f"instances-{tenant}-ws.json"
        return wsfanout.run_separately(spec, work / name, pinned=False)
    finally:
        for server in servers:
            stop(server)
        redis.stop()


def _seed(work: Path, data: Path) -> tuple[list[str], str, str]:
    """Items to GET, the project POSTs land in, the fan-out project (with its viewers)."""
    pm = start_pm(data, work)
    try:
        headers = {"Authorization": f"Bearer {token(TENANT)}"}
        with httpx.Client(base_url=pm.url, headers=headers, timeout=30) as client:
            reads = seed.create_project(client, "READS", "Read by id")["id"]
            ids = seed.bulk_items(seed.tenant_db(data, TENANT), reads, 1000)
            posts = seed.create_project(client, "POSTS", "Where POSTs land")["id"]
            fan = seed.create_project(client, "FANW", "Fan-out across workers")[
                "id"
            ]  # bench drives
            viewers = [f"u{i}" for i in range(INSTANCE_SUBSCRIBERS)]
            seed.add_members(client, fan, viewers, "viewer")
    finally:
        stop(pm)
    return ids, posts, fan


def _scenarios(
    ids: list[str], project: str, round_no: int, workers: int, duration: float, warmup: float
) -> list[Scenario]:
    auth = {"Authorization": f"Bearer {token(TENANT)}"}
    write = {**auth, "Content-Type": "application/json"}
    key = f"workers-r{round_no}-w{workers}-{COUNTER.decode()}"
    gets = [Request("GET", f"/api/v1/work-items/{i}", auth) for i in ids]
    posts = [
        Request(
            "POST",
            f"/api/v1/projects/{project}/work-items",
            {**write, "Idempotency-Key": key},
            CREATE_BODY,
        )
    ]
    requests = {"GET by id": gets, "POST create": posts, "POST create, 16 connections": posts}
    return [
        Scenario(name, requests[name], connections=n, duration=duration, warmup=warmup)
        for name, n in CONNECTIONS.items()
    ]


def run(work: Path, quick: bool) -> dict[str, Any]:
    """Every round with one worker, then two; then the cross-worker fan-out."""
    data = work / "workers-data"
    ids, posts, fan = _seed(work, data)
    runs = 1 if quick else 3
    duration, warmup = (1.0, 0.3) if quick else (2.0, 0.5)
    rounds = []
    for r in range(runs):
        measured: dict[str, Any] = {}
        for workers in (1, 2):
            pm = start_pm(data, work, {"WORKERS": str(workers)}, pinned=False)
            try:
                jobs = [
                    Job(pm.port, s) for s in _scenarios(ids, posts, r, workers, duration, warmup)
                ]
                results = run_separately(
                    "127.0.0.1", jobs, work / f"workers-{r}-{workers}.json", pinned=False
                )
            finally:
                stop(pm)
            measured[str(workers)] = {x.name: asdict(x) for x in results}
        rounds.append(measured)
    pm = start_pm(data, work, {"WORKERS": "2"}, pinned=False)
    try:
        spec = wsfanout.Spec(
            "127.0.0.1",
            pm.port,
            SUBSCRIBERS,
            fan,
            token(TENANT),
            [token(TENANT, f"u{i}") for i in range(SUBSCRIBERS)],
            rate=RATE,
            duration=2.0 if quick else 3.0,
            runs=runs,
            saturation=False,
        )
        events = wsfanout.run_separately(spec, work / "workers-ws.json", pinned=False)
    finally:
        stop(pm)
    out = {
        "rounds": rounds,
        "connections": CONNECTIONS,
        "events": events,
        "subscribers": SUBSCRIBERS,
        "rate": RATE,
    }
    if shutil.which("redis-server"):
        out["instances"] = instances(work, data, fan, quick)
        out["instance_subscribers"] = INSTANCE_SUBSCRIBERS
    return out
