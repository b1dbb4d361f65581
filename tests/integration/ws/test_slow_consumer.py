"""A client that stops reading is dropped; a fast reader still gets every event."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from pm.proto import messages_pb2 as pb
from tests.conftest import SECRET, token
from tests.live import LiveServer, running, start
from tests.wsclient import WsClient, drain, subscribe

SMALL_QUEUE = {"WS_SEND_QUEUE": "20", "WS_RATE_PER_SECOND": "500", "WS_RATE_BURST": "1000"}
EVENTS = 250
BIG = "x" * 50_000  # big events fill the stalled socket's buffers quickly


@pytest.fixture(scope="module")
def small_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with a short per-connection send queue."""
    data: Path = tmp_path_factory.mktemp("slow") / "data"
    with running(data, SECRET, extra_env=SMALL_QUEUE) as live:
        yield live


async def test_stalled_reader_is_dropped_fast_reader_gets_everything(
    small_queue: LiveServer,
) -> None:
    url = f"ws://127.0.0.1:{small_queue.port}/ws"
    headers = {"Authorization": f"Bearer {token('slow')}"}
    async with httpx.AsyncClient(
        base_url=f"{small_queue.url}/api/v1", headers=headers, timeout=30
    ) as http:
        project = (await http.post("/projects", json={"key": "SLOW", "title": "s"})).json()["id"]
        for user in ("stalled", "fast"):
            added = await http.put(f"/projects/{project}/members/{user}", json={"role": "viewer"})
            assert added.status_code == 200, added.text
        stalled = await WsClient.open(url, token("slow", "stalled"), max_queue=1)
        fast = await WsClient.open(url, token("slow", "fast"))
        for client in (stalled, fast):
            confirmed = await client.request("subscribe", subscribe([project]))
            assert confirmed.WhichOneof("payload") == "subscription_confirmed", confirmed

        received: list[int] = []

        async def read_fast() -> None:
            while len(received) < EVENTS:
                received.append((await fast.event("work_item_created", 30)).seq)

        reader = asyncio.create_task(read_fast())
        for n in range(EVENTS):
            response = await http.post(
                f"/projects/{project}/work-items",
                json={"item_type": "task", "title": f"t{n}", "description": BIG},
            )
            assert response.status_code == 201
        await asyncio.wait_for(reader, 60)
        assert received == sorted(received)
        assert len(set(received)) == EVENTS

        frames, _ = await drain(stalled)
        assert sum(1 for m in frames if m.seq) < EVENTS  # it was dropped, not served slowly
        await fast.close()
        metrics = (await http.get(f"{small_queue.url}/metrics")).text
        assert "pm_ws_slow_consumers_dropped_total 1.0" in metrics.splitlines()


async def test_sigterm_closes_sockets_with_1012(tmp_path: Path) -> None:
    server = start(tmp_path / "data", SECRET)
    try:
        client = await WsClient.open(f"ws://127.0.0.1:{server.port}/ws", token("restart"))
        pong = await client.request("ping", pb.Ping())
        assert pong.WhichOneof("payload") == "pong"
        server.process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosed) as closed:
            await client.recv(10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1012
    finally:
        server.process.kill()
        server.process.wait()
