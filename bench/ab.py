"""Two revisions side by side: is the new code faster than the old, this very minute?

    uv run python -m bench.ab OLD [--new REV] [--engine sqlite|postgres]
                              [--scenario get|post] [--workers 1] [--windows 6] [--seconds 2]

This machine's speed drifts (the bare baseline has done 3k and 12k req/s hours apart, and
up to 2x within minutes), so two `make bench` runs cannot tell a 10 % change from the
weather. Here both servers run at once, each over its own copy of the same seeded data
(SQLite files, or a PostgreSQL database each), pinned to the same server core; one load
process sends the scenario to one, then the other, window after window (who goes first
alternates). The
figure is the median of the per-pair ratios new / old, so a drift slower than a window
pair cancels out.

OLD (and --new) are git revisions whose `src/` is served (`git archive`); without --new
the new side is the working tree. With --workers N (N > 1, WORKERS=N on both sides)
neither the servers nor the load are pinned, as in bench.workers.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import rest, seed
from bench.load import COUNTER, Job, Request, Result, Scenario, run_separately
from bench.servers import ROOT, Server, export_revision, start_pm, stop, token

TENANT = "ab"
ITEMS = 50  # GET targets (made through the API, as on PostgreSQL there is no bulk seed)


@dataclass(frozen=True)
class Side:
    """One server under comparison and what its requests need."""

    label: str
    server: Server
    items: list[str]
    project: str


def _seed(label: str, server: Server) -> Side:
    headers = {"Authorization": f"Bearer {token(TENANT)}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        project = seed.create_project(client, "AB", "Side by side")["id"]
        items = seed.stories(client, project, ITEMS)
    return Side(label, server, items, project)


def _requests(side: Side, scenario: str, window: int) -> list[Request]:
    auth = {"Authorization": f"Bearer {token(TENANT)}"}
    if scenario == "get":
        return [Request("GET", f"/api/v1/work-items/{i}", auth) for i in side.items]
    key = f"ab-w{window}-{COUNTER.decode()}"  # a fresh key per request, never reused
    headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": key}
    path = f"/api/v1/projects/{side.project}/work-items"
    return [Request("POST", path, headers, rest.CREATE_BODY)]


def ratios(old: list[float], new: list[float]) -> list[float]:
    """new / old of each window pair (a pair whose old side did nothing is left out)."""
    return [n / o for o, n in zip(old, new, strict=True) if o > 0]


def compare(
    work: Path,
    old_src: Path,
    new_src: Path,
    engine: str,
    scenario: str,
    windows: int,
    seconds: float,
    workers: int = 1,
) -> tuple[list[Result], list[Result]]:
    """Run the windows; the old side's results and the new side's, pair by pair."""
    from bench import postgres

    databases: list[str] = []
    servers: list[Server] = []
    try:
        sides = []
        for label, src in (("old", old_src), ("new", new_src)):
            env = {"PYTHONPATH": str(src), "WORKERS": str(workers)}
            if engine == "postgres":
                name, env["DATABASE_URL"] = postgres.create_database("pm_ab")
                databases.append(name)
            server = start_pm(work / f"{label}-data", work, env, pinned=workers == 1)
            servers.append(server)
            sides.append(_seed(label, server))
        jobs = [
            Job(
                side.server.port,
                Scenario(
                    f"{side.label} {w}",
                    _requests(side, scenario, w),
                    connections=16,
                    duration=seconds,
                    warmup=0.5,
                ),
            )
            for w in range(windows)
            for side in (sides if w % 2 == 0 else sides[::-1])  # who goes first alternates
        ]
        results = run_separately("127.0.0.1", jobs, work / "ab.json", pinned=workers == 1)
    finally:
        for server in servers:
            stop(server)
        for name in databases:
            postgres.drop_database(name)
    return (
        [r for r in results if r.name.startswith("old")],
        [r for r in results if r.name.startswith("new")],
    )


def main() -> None:
    """Compare two revisions and print the per-window figures and the median ratio."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("old", help="the git revision to compare against")
    parser.add_argument("--new", help="a git revision (default: the working tree)")
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--scenario", choices=("get", "post"), default="post")
    parser.add_argument("--workers", type=int, default=1, help="WORKERS of both servers")
    parser.add_argument("--windows", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    if args.engine == "postgres":
        from bench import postgres

        problem = postgres.reachable()
        if problem:
            parser.exit(2, f"bench.ab: {problem}\n")
    with tempfile.TemporaryDirectory(prefix="pm-ab-") as tmp:
        work = Path(tmp)
        old_src = export_revision(args.old, work / "old-source")
        new_src = export_revision(args.new, work / "new-source") if args.new else ROOT / "src"
        old, new = compare(
            work,
            old_src,
            new_src,
            args.engine,
            args.scenario,
            args.windows,
            args.seconds,
            args.workers,
        )
    new_label = args.new or f"working tree ({ROOT.name})"
    print(
        f"{args.scenario.upper()} on {args.engine}, {args.workers} worker(s) a side, "
        f"16 connections, {args.seconds:g}-s windows"
    )
    print(f"{'window':>6}  {'old req/s':>10}  {'new req/s':>10}  {'new/old':>7}")
    pairs = ratios([o.rps for o in old], [n.rps for n in new])
    for w, (o, n) in enumerate(zip(old, new, strict=True)):
        ratio = f"{n.rps / o.rps:7.3f}" if o.rps > 0 else "      -"
        print(f"{w:>6}  {o.rps:>10,.0f}  {n.rps:>10,.0f}  {ratio}")
    errors = sum(r.errors for r in (*old, *new))
    median = statistics.median(pairs) if pairs else float("nan")
    print(f"median new/old: {median:.3f}  (old {args.old}, new {new_label}; errors: {errors})")


if __name__ == "__main__":
    main()
