"""Many tenants through the real server: first touch, cold reopen, warm; its RSS and open FDs.

Each tenant is touched with one authenticated `GET /api/v1/projects` (its own token, so its
own database). Phases, in order:

- create: every tenant once — the database is created from the template and opened;
- cold: every tenant again in the same order — with more tenants than TENANT_CACHE_SIZE,
  each was evicted meanwhile, so each request reopens an existing file (`runs` passes);
- warm: the most recently used tenants (all still open), several times each.

While it runs it samples the server's /proc/<pid>/status (VmRSS, VmHWM) and /proc/<pid>/fd.
`python -m bench.tenants SPEC.json [--cpu N]` prints the results as JSON.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.load import HttpConnection, connect, percentile, run_loop
from bench.servers import proc_status, token


@dataclass
class Spec:
    """What to run (written by bench.run as JSON)."""

    host: str
    port: int
    server_pid: int
    tenants: int = 5000
    cache_size: int = 256
    runs: int = 3
    warm: int = 100
    warm_repeats: int = 5
    concurrency: int = 1
    create_concurrency: int = 8  # first touches wait on an fsync each: overlap them
    sample_every: int = 250


def _request(host: str, tok: str) -> bytes:
    return (
        f"GET /api/v1/projects HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {tok}\r\n\r\n"
    ).encode()


async def _pass(
    spec: Spec, conns: list[HttpConnection], requests: list[bytes], samples: list[dict[str, int]]
) -> dict[str, Any]:
    """Send each request once over the connections; latency percentiles and failures."""
    latencies: list[float] = []
    failures = 0
    todo = iter(enumerate(requests))

    async def worker(conn: HttpConnection) -> None:
        nonlocal failures
        for i, data in todo:
            started = time.perf_counter()
            status, _ = await conn.request(data)
            latencies.append(time.perf_counter() - started)
            failures += status != 200
            if (i + 1) % spec.sample_every == 0:
                samples.append({"requests": i + 1, **proc_status(spec.server_pid)})

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(requests),
        "failures": failures,
        "seconds": seconds,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
    }


async def run(spec: Spec) -> dict[str, Any]:
    """The three phases, with the process samples taken along the way."""
    host = f"{spec.host}:{spec.port}"
    requests = [_request(host, token(f"t{i:05d}")) for i in range(spec.tenants)]
    conns = [await connect(spec.host, spec.port) for _ in range(spec.create_concurrency)]
    before = proc_status(spec.server_pid)
    create_samples: list[dict[str, int]] = []
    create = await _pass(spec, conns, requests, create_samples)
    for conn in conns[spec.concurrency :]:
        if conn.transport is not None:
            conn.transport.close()
    conns = conns[: spec.concurrency]
    cold_samples: list[dict[str, int]] = []
    cold = [await _pass(spec, conns, requests, cold_samples) for _ in range(spec.runs)]
    recent = requests[-min(spec.warm, spec.cache_size) :]
    warm = [await _pass(spec, conns, recent * spec.warm_repeats, []) for _ in range(spec.runs)]
    after = proc_status(spec.server_pid)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    return {
        "tenants": spec.tenants,
        "cache_size": spec.cache_size,
        "before": before,
        "after": after,
        "create": create,
        "cold": cold,
        "warm": warm,
        "create_samples": create_samples,
        "cold_samples": cold_samples,
    }


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Run a spec (the fields of Spec) on uvloop."""
    return dict(run_loop(run(Spec(**spec))))


def run_separately(spec: Spec, spec_path: Path) -> dict[str, Any]:
    """Run in a separate load process pinned to the load core."""
    from bench.servers import run_module

    return dict(run_module("bench.tenants", asdict(spec), spec_path))


if __name__ == "__main__":
    from bench.servers import module_main

    module_main(__doc__, run_spec)
