"""GET by id and POST create with storage on PostgreSQL, against the same bare baseline;
then WebSocket fan-out across two instances on PostgreSQL and Redis.

The server gets `DATABASE_URL` pointing at a database made for the run (dropped after it)
on the PostgreSQL of `BENCH_POSTGRES_URL` (default: the local one, database `test`). The
PostgreSQL server's own processes are not pinned: they share the machine with the load.

The fan-out (bench.workers.instances, with redis-server installed): two instances on that
database and a throw-away Redis, 1,000 subscribers (viewers of one project, each its own
user) split over them from one load process, the driver creating 20 work items/s through
the first instance, so half the deliveries cross over Redis. Neither the instances nor the
load are pinned (as for the SQLite instances of bench.workers).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from bench import rest, seed, workers
from bench.load import COUNTER, Job, Request, Scenario, run_separately
from bench.servers import Server, start_baseline, start_pm, stop, token

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ITEMS = 300  # GET targets, made through the API
FAN_TENANT = "pgfan"  # the fan-out's tenant: its own schema and event stream


def admin(statement: str) -> None:
    """Run one statement on the admin database (creating or dropping a run's database)."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=3)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def create_database(prefix: str) -> tuple[str, str]:
    """A new, empty database for a run: its name and its DATABASE_URL (drop it after)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin(f"CREATE DATABASE {name}")
    return name, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    """Drop a run's database, whoever is still connected to it."""
    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        admin("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL is not reachable at {ADMIN_URL}: {exc}"
    return None


def _seed_fanout(server_url: str) -> str:
    """The fan-out project, whose viewers are the subscribers u0…u999."""
    headers = {"Authorization": f"Bearer {token(FAN_TENANT)}"}
    with httpx.Client(base_url=server_url, headers=headers, timeout=30) as client:
        fan = seed.create_project(client, "PGFAN", "Fan-out on PostgreSQL")["id"]
        viewers = [f"u{i}" for i in range(workers.INSTANCE_SUBSCRIBERS)]
        seed.add_members(client, fan, viewers, "viewer")
    return str(fan)


def run(
    work: Path, runs: int, duration: float, warmup: float, quick: bool = False
) -> dict[str, Any]:
    """Rounds of baseline GET, GET by id, baseline POST, POST create on PostgreSQL; then
    the fan-out over two instances (its rounds: 1 if `quick`, else 3)."""
    name, url = create_database("pm_bench")
    pm: Server | None = None
    baseline: Server | None = None
    try:
        pm = start_pm(work / "pg-data", work, {"DATABASE_URL": url})
        headers = {"Authorization": f"Bearer {token(rest.TENANT)}"}
        with httpx.Client(base_url=pm.url, headers=headers, timeout=30) as client:
            project = seed.create_project(client, "PGGET", "Read on PostgreSQL")["id"]
            ids = seed.stories(client, project, ITEMS)
            create = seed.create_project(client, "PGWORK", "Where POSTs land")["id"]
            sizes = {
                "get": len(client.get(f"/api/v1/work-items/{ids[0]}").content),
                "post": len(rest.seed_post(client, create).content),
                "patch": 0,
                "list": 0,
            }
        redis_missing = None if shutil.which("redis-server") else "redis-server is not installed"
        fan = None if redis_missing else _seed_fanout(pm.url)
        baseline = start_baseline("http", work, sizes)
        rounds = []
        for r in range(runs):
            write = {**headers, "Content-Type": "application/json"}
            gets = [Request("GET", f"/api/v1/work-items/{i}", headers) for i in ids]
            posts = [
                Request(
                    "POST",
                    f"/api/v1/projects/{create}/work-items",
                    {**write, "Idempotency-Key": f"pg-r{r}-{COUNTER.decode()}"},
                    rest.CREATE_BODY,
                )
            ]
            scenarios = [
                Scenario(n, reqs, connections=16, duration=duration, warmup=warmup)
                for n, reqs in (
                    ("baseline GET", gets),
                    ("GET by id", gets),
                    ("baseline POST", posts),
                    ("POST create", posts),
                )
            ]
            jobs = [
                Job(baseline.port if s.name.startswith("baseline") else pm.port, s, 0)
                for s in scenarios
            ]
            results = run_separately("127.0.0.1", jobs, work / f"pg-{r}.json")
            rounds.append([asdict(x) for x in results])
        for server in (pm, baseline):
            stop(server)
        pm = baseline = None
        out: dict[str, Any] = {
            "sizes": sizes,
            "connections": 16,
            "duration_s": duration,
            "rounds": rounds,
        }
        if fan is None:
            out["fanout"] = {"skipped": redis_missing}
        else:
            env = {"DATABASE_URL": url}
            fanout = workers.instances(work, work / "pg-data", fan, quick, FAN_TENANT, env)
            out["fanout"] = {
                **fanout,
                "subscribers": workers.INSTANCE_SUBSCRIBERS,
                "rate": workers.RATE,
            }
    finally:
        for left in (pm, baseline):
            if left is not None:
                stop(left)
        drop_database(name)
    return out
