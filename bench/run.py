"""`make bench`: every benchmark on loopback, one table, bench/results/latest.json.

    uv run python -m bench.run            # the full run (under 5 minutes on 2 cores)
    uv run python -m bench.run --quick    # a ~1 minute smoke run (one round, fewer tenants)

Servers are real processes pinned to core 0; load comes from separate processes pinned to
core 1. Every throughput is a ratio to the baseline measured in the same run, and every
figure is the median of the rounds (3, or 1 with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import (
    bulk,
    planning,
    postgres,
    report,
    rest,
    seed,
    sync,
    tenants,
    webhooks,
    workers,
    wsfanout,
)
from bench.servers import (
    ROOT,
    can_pin,
    proc_status,
    start_baseline,
    start_pm,
    stop,
    token,
    use_revision,
)

RESULTS = ROOT / "bench" / "results"
SECTIONS = ("rest", "postgres", "planning", "ws", "tenants", "workers", "bulk", "sync", "webhooks")
FLOODER = "flooder"  # the user of the flooding client, a viewer of the fan-out project
FLOOD_SUBSCRIBERS = 100  # compared with the 100-subscriber latency of the same run


def machine() -> dict[str, Any]:
    """Where the figures come from."""
    model = ""
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pinned": can_pin(),
        "commit": commit,
    }


class OtherLoad:
    """CPU used on this machine by processes that are not ours, while a section ran.

    Busy time of all cores (/proc/stat) minus the CPU time of this process and of its
    children (servers and load processes, all waited for by the end of each section),
    in cores: 0.0 is a quiet machine, 1.0 means another process took a whole core.
    """

    def __init__(self) -> None:
        self.start = self._sample()
        self.wall = time.monotonic()

    @staticmethod
    def _sample() -> tuple[float, float]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:8]]
        busy = (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
        ours = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            ours += usage.ru_utime + usage.ru_stime
        return busy, ours

    def cores(self) -> float:
        """Average cores used by others since this was made."""
        busy, ours = self._sample()
        spent = (busy - self.start[0]) - (ours - self.start[1])
        return max(0.0, spent / max(1e-9, time.monotonic() - self.wall))


def run_ws(work: Path, quick: bool) -> dict[str, Any]:
    """Fan-out at 100 and 1,000 subscribers: the raw baseline, then ours, per count.

    Then ours at 100 subscribers again while one more client floods it (`flood`), compared
    with the 100-subscriber latency above.
    """
    pm = start_pm(work / "ws-data", work)
    raw = None
    out: dict[str, Any] = {"rate": 20.0, "runs": {}}
    try:
        driver = token("fan", "driver")
        with httpx.Client(base_url=pm.url, headers={"Authorization": f"Bearer {driver}"}) as c:
            project = seed.create_project(c, "FAN", "Fan-out")["id"]
            # Subscribers are members who may view the project (where membership exists).
            out["members"] = seed.add_members(c, project, [f"u{i}" for i in range(1000)], "viewer")
            seed.add_members(c, project, [FLOODER], "viewer")
            body = {"item_type": "story", "title": "fan-sizing"}
            size = len(c.post(f"/api/v1/projects/{project}/work-items", json=body).content)
        raw = start_baseline("ws", work, {"post": size})
        for n in (100, 1000):
            users = [token("fan", f"u{i}") for i in range(n)]
            pair = {}
            for name, server in (("raw", raw), ("pm", pm)):
                spec = wsfanout.Spec(
                    "127.0.0.1",
                    server.port,
                    n,
                    project,
                    driver,
                    users,
                    rate=out["rate"],
                    duration=2.0 if quick else 3.0,
                    burst=min(600, max(30, (30_000 if quick else 60_000) // n)),
                    runs=1 if quick else 3,
                    server_pid=server.pid,
                )
                pair[name] = wsfanout.run_separately(spec, work / f"ws-{name}-{n}.json")
            out["runs"][str(n)] = pair
        # Last, so that the flooder's thousands of short connections touch no other figure.
        spec = wsfanout.Spec(
            "127.0.0.1",
            pm.port,
            FLOOD_SUBSCRIBERS,
            project,
            driver,
            [token("fan", f"u{i}") for i in range(FLOOD_SUBSCRIBERS)],
            rate=out["rate"],
            duration=2.0 if quick else 3.0,
            runs=1 if quick else 3,
            server_pid=pm.pid,
            flood_token=token("fan", FLOODER),
        )
        before = proc_status(pm.pid)
        out["flood"] = wsfanout.run_separately(spec, work / "ws-flood.json")
        out["flood"]["server_before"], out["flood"]["server_after"] = before, proc_status(pm.pid)
    finally:
        stop(pm)
        if raw is not None:
            stop(raw)
    return out


def run_tenants(work: Path, quick: bool) -> dict[str, Any]:
    """Many tenants through a server whose tenant cache holds 256."""
    cache = 256
    pm = start_pm(work / "tenant-data", work, {"TENANT_CACHE_SIZE": str(cache)})
    try:
        spec = tenants.Spec(
            "127.0.0.1",
            pm.port,
            pm.pid,
            tenants=1000 if quick else 5000,
            cache_size=cache,
            runs=1 if quick else 3,
        )
        return tenants.run_separately(spec, work / "tenants.json")
    finally:
        stop(pm)


def main(argv: list[str] | None = None) -> None:
    """Run the sections asked for, write the results, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round, shorter, fewer tenants")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run just these")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument(
        "--rev", help="benchmark src/ of this git revision (e.g. HEAD) instead of the work tree"
    )
    args = parser.parse_args(argv)
    sections = args.only or list(SECTIONS)
    started = time.monotonic()
    results: dict[str, Any] = {
        "command": "uv run python -m bench.run " + " ".join(argv or sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "quick": args.quick,
    }
    timings = results.setdefault("seconds", {})
    noise = results.setdefault("other_load_cores", {})
    with tempfile.TemporaryDirectory(prefix="pm-bench-") as tmp:
        work = Path(tmp)
        if args.rev:
            results["source"] = "git " + use_revision(args.rev, work / "source")
        else:
            results["source"] = "working tree"
        runs, duration = (1, 1.0) if args.quick else (3, 2.0)
        warmup = 0.3 if args.quick else 0.5
        for section in sections:
            t0, other = time.monotonic(), OtherLoad()
            print(f"bench: {section} ...", file=sys.stderr, flush=True)
            if section == "rest":
                results["rest"] = rest.run(work, runs, duration, warmup, large=100_000)
            elif section == "planning":
                results["planning"] = planning.run(work, runs, duration, warmup)
            elif section == "postgres":
                why_not = postgres.reachable()
                results["postgres"] = (
                    {"skipped": why_not}
                    if why_not
                    else postgres.run(
                        work,
                        runs=runs,
                        duration=duration,
                        warmup=warmup,
                        quick=args.quick,
                    )
                )
            elif section == "ws":
                results["ws"] = run_ws(work, args.quick)
            elif section == "workers":
                results["workers"] = workers.run(work, args.quick)
            elif section == "bulk":
                results["bulk"] = bulk.run(work, runs=1 if args.quick else 3)
            elif section == "sync":
                results["sync"] = sync.run(work, args.quick)
            elif section == "webhooks":
                results["webhooks"] = webhooks.run(work, args.quick)
            else:
                results["tenants"] = run_tenants(work, args.quick)
            timings[section] = round(time.monotonic() - t0, 1)
            noise[section] = round(other.cores(), 2)
    timings["total"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1))  # first: a report bug loses no run
    table = report.rows(results)
    results["table"] = [r.__dict__ for r in table]
    args.out.write_text(json.dumps(results, indent=1))
    report.print_table(table, f"pm bench ({'quick' if args.quick else 'full'}, {timings})")
    if max(noise.values(), default=0.0) > 0.1:
        print(
            f"bench: warning: other processes used CPU meanwhile (cores, per section: {noise});"
            " the figures are skewed, run again on a quiet machine",
            file=sys.stderr,
        )
    print(f"bench: results in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
