"""Ready work and the critical path of a big project, one request at a time.

A project of 10,000 items with 5,000 `blocks` links (and one of 1,000 with 500, to show
how the time grows), seeded straight into SQLite as the API would make them; a quarter of
the items are done (the seed cycles through the default lanes). One connection, so the
latency is the statement's and the route's, not a queue's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.load import Job, Request, Result, Scenario, run_separately
from bench.servers import start_pm, stop, token

TENANT = "planning"
SIZES = ((1_000, 500), (10_000, 5_000))  # (items, links) per project
P99_MS = 50.0  # the target, for the large project
REFERENCE = "GET a work item (the yardstick)"


def name(route: str, items: int, links: int) -> str:
    """The scenario name of one route on one project size."""
    return f"{route} ({items // 1000}k items, {links / 1000:g}k links)"


def run(work: Path, runs: int, duration: float, warmup: float) -> dict[str, Any]:
    """Seed both projects, check the answers are real, then measure each route per round."""
    data = work / "planning-data"
    pm = start_pm(data, work)
    headers = {"Authorization": f"Bearer {token(TENANT)}"}
    scenarios: list[Scenario] = []
    answers: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=pm.url, headers=headers, timeout=60) as client:
            db = seed.tenant_db(data, TENANT)
            for items, links in SIZES:
                key = f"PLAN{items // 1000}K"
                project = seed.create_project(client, key, f"{items:,} items")["id"]
                ids = seed.bulk_items(db, project, items)
                seed.bulk_blocks(db, ids, links)
                for route, path in (
                    ("ready", f"/api/v1/projects/{key}/ready?limit=50"),
                    ("critical path", f"/api/v1/projects/{key}/critical-path"),
                ):
                    got = client.get(path)
                    got.raise_for_status()
                    body = got.json()
                    answers[name(route, items, links)] = {
                        "items": len(body["items"]),
                        "total": body["total"],
                        "bytes": len(got.content),
                    }
                    scenarios.append(
                        Scenario(
                            name(route, items, links),
                            [Request("GET", path, headers)],
                            connections=1,
                            duration=duration,
                            warmup=warmup,
                        )
                    )
            # The yardstick on the same server and connection: one work item by id.
            scenarios.insert(
                0,
                Scenario(
                    REFERENCE,
                    [Request("GET", f"/api/v1/work-items/{ids[0]}", headers)],
                    connections=1,
                    duration=duration,
                    warmup=warmup,
                ),
            )
        rounds: list[list[Result]] = []
        for r in range(runs):
            jobs = [Job(pm.port, s) for s in scenarios]
            rounds.append(run_separately("127.0.0.1", jobs, work / f"planning-{r}.json"))
    finally:
        stop(pm)
    return {
        "sizes": [list(s) for s in SIZES],
        "answers": answers,
        "connections": 1,
        "p99_ms": P99_MS,
        "reference": REFERENCE,
        "duration_s": duration,
        "rounds": [[r.__dict__ for r in results] for results in rounds],
    }
