"""GET by id and POST create with storage on PostgreSQL, against the same bare baseline.

The server gets `DATABASE_URL` pointing at a database made for the run (dropped after it)
on the PostgreSQL of `BENCH_POSTGRES_URL` (default: the local one, database `test`). The
PostgreSQL server's own processes are not pinned: they share the machine with the load.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from bench import rest, seed
from bench.load import COUNTER, Job, Request, Scenario, run_separately
from bench.servers import start_baseline, start_pm, stop, token

ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ITEMS = 300  # GET targets, made through the API


def _admin(statement: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=3)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        _admin("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL is not reachable at {ADMIN_URL}: {exc}"
    return None


def run(work: Path, runs: int, duration: float, warmup: float) -> dict[str, Any]:
    """Rounds of baseline GET, GET by id, baseline POST, POST create on PostgreSQL."""
    name = f"pm_bench_{uuid.uuid4().hex[:10]}"
    _admin(f"CREATE DATABASE {name}")
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    pm = baseline = None
    try:
        pm = start_pm(work / "pg-data", work, {"DATABASE_URL": url})
        headers = {"Authorization": f"Bearer {token(rest.TENANT)}"}
        with httpx.Client(base_url=pm.url, headers=headers, timeout=30) as client:
            project = seed.create_project(client, "PGGET", "Read on PostgreSQL")["id"]
            ids = [
                seed.create_item(client, project, item_type="story", title=f"s{n}")["id"]
                for n in range(ITEMS)
            ]
            create = seed.create_project(client, "PGWORK", "Where POSTs land")["id"]
            sizes = {
                "get": len(client.get(f"/api/v1/work-items/{ids[0]}").content),
                "post": len(rest.seed_post(client, create).content),
                "patch": 0,
                "list": 0,
            }
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
    finally:
        for server in (pm, baseline):
            if server is not None:
                stop(server)
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return {"sizes": sizes, "connections": 16, "duration_s": duration, "rounds": rounds}
