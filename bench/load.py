"""HTTP/1.1 load generator: N keep-alive connections in a closed loop, req/s and percentiles.

Raw asyncio (uvloop where installed), no pipelining: each connection sends one request,
waits for the whole response, then sends the next. Run it as its own process
(`python -m bench.load SPEC.json`) pinned to the load core, or call `run_scenario` in-process.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from array import array
from collections.abc import Coroutine, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

# A request template may hold this marker (in its path, headers or body); each request
# replaces it with its own number, so e.g. Idempotency-Keys stay unique without changing
# the size of the request. The number is the request counter scrambled by a bijection of
# 0..10^10-1 (a multiplier prime to 10, near the golden ratio of the span, so consecutive
# numbers land far apart), as the random UUIDs clients use for keys do: a plain counter
# would let every key be appended at the end of the server's key index, which real clients
# never allow.
COUNTER = b"@@@@@@@@@@"
_SCRAMBLE = 6_180_339_887
_SPAN = 10**10


def counter_value(n: int) -> bytes:
    """The 10 digits that replace COUNTER in the n-th request (unique for n < 10^10)."""
    return b"%010d" % (n * _SCRAMBLE % _SPAN)


@dataclass(frozen=True)
class Request:
    """One request template."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def encode(self, host: str) -> bytes:
        """The raw HTTP/1.1 request bytes."""
        body = self.body.encode()
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Scenario:
    """Requests cycled in order over `connections` connections for `duration` seconds."""

    name: str
    requests: list[Request]
    connections: int = 16
    duration: float = 3.0
    warmup: float = 0.5


@dataclass
class Result:
    """What a scenario measured (latencies in milliseconds)."""

    name: str
    requests: int
    errors: int
    statuses: dict[str, int]
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    response_bytes: int
    sent: int  # every request issued, warm-up and tail included


def percentile(sorted_values: Sequence[float] | array[int], q: float) -> float:
    """The q-quantile (0..1) of already sorted values, nearest rank; 0.0 when empty."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))
    return float(sorted_values[index])


class HttpConnection(asyncio.Protocol):
    """One keep-alive client connection with a minimal response parser."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, int]] | None = None
        self.expected = -1  # full length of the response being read, once its head is in
        self.lost = False  # the server closed the connection (e.g. idle past its keep-alive)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is not None:
            self._complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    def _complete(self) -> None:
        buffer = self.buffer
        if self.expected < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                if b"\r\ntransfer-encoding:" in head and self.waiter is not None:
                    self.waiter.set_exception(RuntimeError("chunked responses are not supported"))
                    self.waiter = None
                    return
                length = 0
            else:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop > 0 else len(head)])
            self.expected = end + 4 + length
        if len(buffer) < self.expected:
            return
        status = int(buffer[9:12])
        size = self.expected
        del buffer[:size]
        self.expected = -1
        waiter, self.waiter = self.waiter, None
        assert waiter is not None
        waiter.set_result((status, size))

    async def request(self, data: bytes) -> tuple[int, int]:
        """Send one request; (status, response size) when the whole response is in."""
        assert self.transport is not None
        if self.lost:  # a write to a closed connection would wait for an answer forever
            raise ConnectionError("the server closed the connection")
        waiter: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self.waiter = waiter
        self.transport.write(data)
        if self.buffer:
            self._complete()
        return await waiter


async def connect(host: str, port: int) -> HttpConnection:
    """Open one client connection."""
    _, protocol = await asyncio.get_running_loop().create_connection(HttpConnection, host, port)
    return protocol


class _Stats:
    def __init__(self) -> None:
        self.latencies = array("q")
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.response_bytes = 0


async def _worker(
    conn: HttpConnection,
    templates: list[bytes],
    counter: Iterator[int],
    stats: _Stats,
    window: tuple[int, int],
) -> None:
    begin, end = window
    count = len(templates)
    clock = time.perf_counter_ns
    while True:
        started = clock()
        if started >= end:
            return
        n = next(counter)
        data = templates[n % count]
        if COUNTER in data:
            data = data.replace(COUNTER, counter_value(n))
        status, size = await conn.request(data)
        done = clock()
        if started >= begin and done <= end:
            stats.latencies.append(done - started)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
            stats.response_bytes = size
            if status >= 400:
                stats.errors += 1


async def run_scenario(host: str, port: int, scenario: Scenario, first: int = 0) -> Result:
    """Run one scenario; `first` is where the per-request counter starts."""
    templates = [r.encode(f"{host}:{port}") for r in scenario.requests]
    conns = [await connect(host, port) for _ in range(scenario.connections)]
    stats = _Stats()
    start = time.perf_counter_ns()
    begin = start + int(scenario.warmup * 1e9)
    window = (begin, begin + int(scenario.duration * 1e9))
    counter = itertools.count(first)
    try:
        await asyncio.gather(*(_worker(c, templates, counter, stats, window) for c in conns))
    finally:
        for conn in conns:
            if conn.transport is not None:
                conn.transport.close()
    sent = next(counter) - first
    latencies = sorted(stats.latencies)
    ms = 1e-6
    return Result(
        name=scenario.name,
        requests=len(latencies),
        errors=stats.errors,
        statuses={str(k): v for k, v in sorted(stats.statuses.items())},
        seconds=scenario.duration,
        rps=len(latencies) / scenario.duration,
        p50_ms=percentile(latencies, 0.50) * ms,
        p90_ms=percentile(latencies, 0.90) * ms,
        p99_ms=percentile(latencies, 0.99) * ms,
        max_ms=(latencies[-1] if latencies else 0) * ms,
        response_bytes=stats.response_bytes,
        sent=sent,
    )


def scenario_from_json(data: dict[str, Any]) -> Scenario:
    """A Scenario from its JSON form (as `asdict` writes it)."""
    requests = [Request(**r) for r in data.pop("requests")]
    return Scenario(requests=requests, **data)


def run_loop(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on uvloop when it is installed (as the server does), else asyncio."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        return asyncio.run(coro)
    return uvloop.run(coro)


@dataclass(frozen=True)
class Job:
    """One scenario against one port; `offset` is where its request counter starts."""

    port: int
    scenario: Scenario
    offset: int = 0


async def _run_all(spec: dict[str, Any]) -> list[Result]:
    results = []
    for job in spec["jobs"]:
        scenario = scenario_from_json(dict(job["scenario"]))
        results.append(await run_scenario(spec["host"], job["port"], scenario, job["offset"]))
    return results


def run_spec(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the jobs of a spec (host, jobs) one after the other, on uvloop."""
    return [asdict(r) for r in run_loop(_run_all(spec))]


def run_separately(
    host: str, jobs: list[Job], spec_path: Path, pinned: bool = True
) -> list[Result]:
    """Run jobs in order in a separate load process pinned to the load core (if `pinned`)."""
    from bench.servers import run_module

    spec = {"host": host, "jobs": [asdict(job) for job in jobs]}
    return [Result(**r) for r in run_module("bench.load", spec, spec_path, pinned=pinned)]


if __name__ == "__main__":
    from bench.servers import module_main

    module_main(__doc__, run_spec)
