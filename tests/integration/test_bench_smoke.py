"""The benchmark harness still works: its load generator and fan-out clients, briefly, in-process.

No timings are asserted (they belong in `make bench`); only that requests are answered and
that every event reaches every client once, in order.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from starlette.types import ASGIApp

from bench import baseline_app, load, wsfanout
from tests.live import serving


async def _serve(app: ASGIApp) -> AsyncIterator[int]:
    async with serving(app) as port:
        yield port


@pytest.fixture
async def http_port() -> AsyncIterator[int]:
    """The bare HTTP baseline, served in this process."""
    async for port in _serve(baseline_app.create_http_app({"get": 300, "post": 200})):
        yield port


@pytest.fixture
async def ws_port() -> AsyncIterator[int]:
    """The bare WebSocket fan-out baseline, served in this process."""
    async for port in _serve(baseline_app.create_ws_app({"post": 200})):
        yield port


async def test_load_generator_answers_every_request(http_port: int) -> None:
    requests = [
        load.Request("GET", "/api/v1/work-items/x"),
        load.Request(
            "POST",
            "/api/v1/projects/p/work-items",
            {"Content-Type": "application/json", "Idempotency-Key": f"k-{load.COUNTER.decode()}"},
            '{"title": "t"}',
        ),
    ]
    scenario = load.Scenario("smoke", requests, connections=2, duration=0.5, warmup=0.1)
    result = await load.run_scenario("127.0.0.1", http_port, scenario)
    assert result.requests > 0
    assert result.errors == 0
    assert set(result.statuses) == {"200", "201"}
    assert result.sent >= result.requests


async def test_fanout_clients_get_every_event_once_in_order(ws_port: int) -> None:
    spec = wsfanout.Spec(
        "127.0.0.1", ws_port, 3, "p", "no-token", ["a", "b", "c"], rate=40, duration=0.25
    )
    tally = [wsfanout.Tally()]
    clients = [
        await wsfanout.open_client("127.0.0.1", ws_port, t, tally, "p") for t in spec.client_tokens
    ]
    conn = await load.connect("127.0.0.1", ws_port)
    try:
        driver = wsfanout.Driver(spec, [conn])
        out = await wsfanout.latency_phase(spec, driver, clients, tally, 0)
    finally:
        for c in clients:
            assert c.transport is not None
            c.transport.close()
        assert conn.transport is not None
        conn.transport.close()
    assert out["events"] == 10
    assert out["deliveries"] == 30
    assert out["lost"] == out["reordered"] == out["closed"] == 0


def test_the_request_counter_is_unique_and_unordered() -> None:
    values = [load.counter_value(n) for n in range(200_000)]
    assert len(set(values)) == len(values)
    assert all(len(v) == len(load.COUNTER) for v in values[:1000])
    # Consecutive requests' numbers are far apart (over a tenth of the span).
    assert all(abs(int(a) - int(b)) > 10**9 for a, b in itertools.pairwise(values[:10_000]))


async def test_the_flooder_stops_when_told_even_if_every_handshake_is_refused() -> None:
    # Refused handshakes make the flooder reconnect in a loop; on Python 3.11 a cancellation
    # arriving as a handshake fails can be swallowed by `asyncio.wait_for`, so the flood
    # must also stop on its event (a full `make bench` hung in this loop).
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n")
        writer.close()

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    spec = wsfanout.Spec(
        host="127.0.0.1",
        port=port,
        clients=0,
        project_id="p",
        driver_token="t",
        client_tokens=[],
        flood_token="f",
    )
    stats, stop = wsfanout.FloodStats(), asyncio.Event()
    task = asyncio.create_task(wsfanout.flood(spec, stats, stop))
    try:
        await asyncio.sleep(0.2)
        assert stats.handshakes_refused > 0
        stop.set()  # no cancel(): the event alone ends the flood
        await asyncio.wait_for(task, 5)
    finally:
        task.cancel()
        server.close()
        await server.wait_closed()
