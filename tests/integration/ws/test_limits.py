"""Every limit and refusal of /ws gets its documented answer, and never a crash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from pm.proto import messages_pb2 as pb
from tests.conftest import SECRET, token
from tests.live import LiveServer, running
from tests.wsclient import WsClient, drain, subscribe

LIMITS = {
    "WS_MAX_FRAME_BYTES": "4096",
    "WS_MAX_SUBSCRIPTIONS": "3",
    "WS_MAX_CONNECTIONS_PER_USER": "3",
    "WS_RATE_PER_SECOND": "20",
    "WS_RATE_BURST": "20",
    "CORS_ORIGINS": "http://good.example",
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small limits."""
    data: Path = tmp_path_factory.mktemp("limits") / "data"
    with running(data, SECRET, extra_env=LIMITS) as live:
        yield live


@pytest.fixture
def url(limited: LiveServer) -> str:
    """Its /ws URL."""
    return f"ws://127.0.0.1:{limited.port}/ws"


async def _closed_with(client: WsClient) -> int | None:
    return (await drain(client))[1]


async def _refused(url: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, **kwargs):  # type: ignore[arg-type]
            pass
    return refused.value.response.status_code


async def test_oversized_frame_closes_with_1009(url: str) -> None:
    client = await WsClient.open(url, token("limits"))
    await client.conn.send(b"\x00" * 5000)
    assert await _closed_with(client) == 1009


async def test_text_frame_closes_with_1003(url: str) -> None:
    client = await WsClient.open(url, token("limits"))
    await client.conn.send("hello")
    assert await _closed_with(client) == 1003


async def test_garbage_and_unknown_payloads_get_errors_and_the_connection_lives(url: str) -> None:
    client = await WsClient.open(url, token("limits"))
    try:
        await client.conn.send(b"\xff\xff\xff\xff")
        garbage = await client.recv()
        assert garbage.error.code == "VALIDATION_ERROR"
        unknown = pb.WebSocketMessage(message_id="u1").SerializeToString() + b"\xba\x3e\x01\x00"
        await client.conn.send(unknown)  # field 999, not a payload case we know
        reply = await client.recv()
        assert (reply.message_id, reply.error.code) == ("u1", "VALIDATION_ERROR")
        event_case = await client.request("work_item_created", pb.WorkItemCreated())
        assert event_case.error.field == "payload"
        assert (await client.request("ping", pb.Ping())).WhichOneof("payload") == "pong"
    finally:
        await client.close()


async def test_subscription_flood_is_refused(url: str, limited: LiveServer) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {token('limits')}"}
    async with httpx.AsyncClient(base_url=f"{limited.url}/api/v1", headers=headers) as http:
        ids = [
            (await http.post("/projects", json={"key": f"SUB{n}", "title": "x"})).json()["id"]
            for n in range(4)
        ]
    client = await WsClient.open(url, token("limits"))
    try:
        reply = await client.request("subscribe", subscribe(ids))
        assert reply.error.code == "VALIDATION_ERROR"
        ok = await client.request("subscribe", subscribe(ids[:3]))
        assert len(ok.subscription_confirmed.project_ids) == 3
    finally:
        await client.close()


async def test_message_flood_is_rate_limited_then_closed(url: str) -> None:
    client = await WsClient.open(url, token("limits", "flooder"))
    for n in range(200):
        await client.send("ping", pb.Ping(), message_id=f"f{n}")
    frames, close_code = await drain(client)
    assert close_code == 4029
    codes = [m.error.code or m.WhichOneof("payload") for m in frames]
    assert "pong" in codes
    assert "RATE_LIMIT_EXCEEDED" in codes


async def test_connection_flood_gets_429_at_the_handshake(url: str) -> None:
    headers = {"Authorization": f"Bearer {token('limits', 'many')}"}
    open_ = [await WsClient.open(url, token("limits", "many")) for _ in range(3)]
    try:
        assert await _refused(url, additional_headers=headers) == 429
    finally:
        for client in open_:
            await client.close()
    await asyncio.sleep(0.2)
    again = await WsClient.open(url, token("limits", "many"))
    await again.close()


@pytest.mark.parametrize("bad", ["garbage", "expired", "other-key", "missing"])
async def test_bad_tokens_are_refused_with_401(url: str, bad: str) -> None:
    claims = {"sub": "u", "tenant_id": "limits", "exp": int(time.time()) + 60}
    tokens = {
        "garbage": "x.y.z",
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 120}, SECRET, algorithm="HS256"),
        "other-key": jwt.encode(claims, "k" * 64, algorithm="HS256"),
    }
    headers = {"Authorization": f"Bearer {tokens[bad]}"} if bad in tokens else {}
    assert await _refused(url, additional_headers=headers) == 401


async def test_token_in_subprotocol_or_query_and_never_logged(
    url: str, limited: LiveServer
) -> None:
    secret_token = token("limits", "browser")
    async with connect(url, subprotocols=["pm.v1", f"bearer.{secret_token}"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "pm.v1"
    async with connect(f"{url}?access_token={secret_token}") as ws:
        await ws.send(pb.WebSocketMessage(message_id="q", ping=pb.Ping()).SerializeToString())
        assert pb.WebSocketMessage.FromString(await ws.recv()).message_id == "q"
    assert secret_token not in limited.log()


async def test_origin_is_checked(url: str) -> None:
    headers = {"Authorization": f"Bearer {token('limits')}"}
    assert await _refused(url, additional_headers=headers, origin="http://evil.example") == 403  # type: ignore[arg-type]
    async with connect(url, additional_headers=headers, origin="http://good.example"):  # type: ignore[arg-type]
        pass


async def test_token_expiring_while_connected_closes_4001(url: str) -> None:
    # Expired 27 s ago: accepted within the 30 s leeway, closed when the leeway runs out.
    claims = {"sub": "u", "tenant_id": "limits", "exp": int(time.time()) - 27}
    client = await WsClient.open(url, jwt.encode(claims, SECRET, algorithm="HS256"))
    assert await _closed_with(client) == 4001


async def test_reconnecting_buys_no_fresh_burst(url: str) -> None:
    first = await WsClient.open(url, token("limits", "reconnector"))
    try:
        for n in range(20):  # spend the user's whole burst (and wait until it is spent)
            await first.request("ping", pb.Ping(), message_id=f"a{n}")
        # The budget is the user's, not the socket's: new handshakes spend from it too.
        statuses = []
        for _ in range(5):
            try:
                extra = await WsClient.open(url, token("limits", "reconnector"))
            except InvalidStatus as refused:
                statuses.append(refused.response.status_code)
            else:
                statuses.append(101)
                await extra.close()
        assert 429 in statuses
    finally:
        await first.close()
    await asyncio.sleep(1.5)  # the budget refills at 20 per second
    again = await WsClient.open(url, token("limits", "reconnector"))
    await again.close()
