"""The REST scenarios: GET by id, POST create, PATCH status, list 50 of 1k / 100k, and baselines.

Our server and the bare baseline get byte-identical requests (same headers, same bodies);
the baseline answers with bodies of the sizes ours answers with.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.load import COUNTER, Job, Request, Result, Scenario, run_separately
from bench.servers import Server, start_baseline, start_pm, stop, token

TENANT = "bench"


@dataclass
class Setup:
    """The seeded server, the baseline and what the scenarios point at."""

    pm: Server
    baseline: Server
    # Ours twice more, serving only the metrics' window pairs (so both have the same
    # history): as configured, and with METRICS_ENABLED=false.
    metered: Server
    unmetered: Server
    headers: dict[str, str]
    get_ids: list[str]
    patch_ids: list[str]
    create_project: str
    list_small: str
    list_large: str
    sizes: dict[str, int] = field(default_factory=dict)


def prepare(work: Path, large: int) -> Setup:
    """Start and seed our server; measure its body sizes; start the baseline with them."""
    data = work / "rest-data"
    pm = start_pm(data, work)
    headers = {"Authorization": f"Bearer {token(TENANT)}"}
    try:
        with httpx.Client(base_url=pm.url, headers=headers, timeout=30) as client:
            db = seed.tenant_db(data, TENANT)
            small = seed.create_project(client, "LISTS", "List of a thousand")["id"]
            get_ids = seed.bulk_items(db, small, 1000)
            big = seed.create_project(client, "LISTL", "List of a hundred thousand")["id"]
            seed.bulk_items(db, big, large)
            create = seed.create_project(client, "WORK", "Where POSTs land")["id"]
            kanban = seed.create_project(client, "KANBAN", "Where PATCHes move items")["id"]
            patch_ids = seed.bulk_items(db, kanban, 1000, status=seed.STATUSES[0])
            sizes = {
                "get": len(client.get(f"/api/v1/work-items/{get_ids[0]}").content),
                "post": len(seed_post(client, create).content),
                "patch": len(client.patch(f"/api/v1/work-items/{get_ids[1]}", json=_RAISE).content),
                "list": len(client.get(_list_path(small)).content),
            }
    except BaseException:
        stop(pm)
        raise
    baseline = start_baseline("http", work, sizes)
    metered = start_pm(data, work)
    unmetered = start_pm(data, work, {"METRICS_ENABLED": "false"})
    return Setup(
        pm, baseline, metered, unmetered, headers, get_ids, patch_ids, create, small, big, sizes
    )


def seed_post(client: httpx.Client, project_id: str) -> httpx.Response:
    """One creation like the benchmark's (to learn the answer's size)."""
    response = client.post(
        f"/api/v1/projects/{project_id}/work-items",
        content=CREATE_BODY,
        headers={"Content-Type": "application/json"},
    )
    response.raise_for_status()
    return response


_RAISE = {"priority": "high"}
CREATE_BODY = json.dumps({"item_type": "story", "title": "A story created by the benchmark"})


def _list_path(project_id: str) -> str:
    return f"/api/v1/projects/{project_id}/work-items?status=in_progress&limit=50"


def scenarios(setup: Setup, round_no: int, duration: float, warmup: float) -> list[Scenario]:
    """The round's scenarios, each baseline right before the scenario it is the denominator of."""
    auth = setup.headers
    write = {**auth, "Content-Type": "application/json"}

    # A fresh Idempotency-Key per request (the counter), never reused across rounds.
    def keyed(kind: str) -> dict[str, str]:
        return {**write, "Idempotency-Key": f"bench-r{round_no}-{kind}-{COUNTER.decode()}"}

    gets = [Request("GET", f"/api/v1/work-items/{i}", auth) for i in setup.get_ids]
    posts = [
        Request(
            "POST",
            f"/api/v1/projects/{setup.create_project}/work-items",
            keyed("post"),
            CREATE_BODY,
        )
    ]
    # Request n moves item n % 1000 to the lane after the one request n - 1000 moved it to,
    # so every PATCH is a real change (a kanban drag) as long as the counter keeps going.
    statuses = seed.STATUSES
    patches = [
        Request(
            "PATCH",
            f"/api/v1/work-items/{setup.patch_ids[k % 1000]}",
            keyed("patch"),
            json.dumps({"status": statuses[(k // 1000 + 1) % len(statuses)]}),
        )
        for k in range(1000 * len(statuses))
    ]

    def sc(name: str, requests: list[Request]) -> Scenario:
        return Scenario(name, requests, connections=16, duration=duration, warmup=warmup)

    # What the metrics cost: short windows of GET with and without them, alternating who
    # goes first, so a drift of the machine's speed within the round cancels out.
    metered = [
        Scenario(f"{name} {k}", gets, connections=16, duration=METRICS_SECONDS, warmup=0.3)
        for k in range(METRICS_PAIRS)
        for name in (
            METRICS_PAIR if (round_no * METRICS_PAIRS + k) % 2 == 0 else METRICS_PAIR[::-1]
        )
    ]
    return [
        sc("baseline GET", gets),
        sc("GET by id", gets),
        *metered,
        sc("baseline POST", posts),
        sc("POST create", posts),
        sc("baseline PATCH", patches),
        sc("PATCH status", patches),
        sc("list 50 of 1k", [Request("GET", _list_path(setup.list_small), auth)]),
        sc("list 50 of 100k", [Request("GET", _list_path(setup.list_large), auth)]),
    ]


METRICS_PAIR = ("metrics on", "metrics off")  # GET by id on `metered`, and on `unmetered`
METRICS_PAIRS = 4  # window pairs a round
METRICS_SECONDS = 1.5


def _port(setup: Setup, scenario: str) -> int:
    if scenario.startswith("baseline"):
        return setup.baseline.port
    if scenario.startswith("metrics "):
        return (setup.metered if scenario.startswith("metrics on") else setup.unmetered).port
    return setup.pm.port


def run(work: Path, runs: int, duration: float, warmup: float, large: int) -> dict[str, Any]:
    """Every round against both servers; each round in its own pinned load process."""
    setup = prepare(work, large)
    rounds: list[list[Result]] = []
    patch_sent = 0
    try:
        for r in range(runs):
            jobs = [
                Job(_port(setup, s.name), s, patch_sent if s.name == "PATCH status" else 0)
                for s in scenarios(setup, r, duration, warmup)
            ]
            results = run_separately("127.0.0.1", jobs, work / f"rest-{r}.json")
            patch_sent += next(x.sent for x in results if x.name == "PATCH status")
            rounds.append(results)
    finally:
        stop(setup.pm)
        stop(setup.baseline)
        stop(setup.metered)
        stop(setup.unmetered)
    return {
        "sizes": setup.sizes,
        "connections": 16,
        "duration_s": duration,
        "rounds": [[asdict(x) for x in results] for results in rounds],
    }
