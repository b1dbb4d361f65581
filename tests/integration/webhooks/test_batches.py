"""Deliveries in batches: a burst arrives whole and in order, a failure holds the rest back,
and two processes on one database make each delivery once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import bearer
from tests.helpers import bulk_create
from tests.integration.webhooks.receiver import Receiver

ALICE = bearer("acme", "alice")
BURST = 150  # more than one batch (64)


async def _setup(client: httpx.AsyncClient, url: str) -> tuple[str, str, str]:
    """A project with one subscription to its creations: (project id, secret, webhook id)."""
    made = await client.post("/api/v1/projects", json={"key": "BURST", "title": "B"}, headers=ALICE)
    assert made.status_code == 201, made.text
    project = made.json()["id"]
    hook = await client.post(
        "/api/v1/webhooks",
        json={"url": url, "event_types": ["work_item.created"], "project_id": project},
        headers=ALICE,
    )
    assert hook.status_code == 201, hook.text
    return project, hook.json()["secret"], hook.json()["webhook"]["id"]


async def _burst(client: httpx.AsyncClient, project: str, count: int, tag: str) -> None:
    """`count` creations in one bulk request: `count` events committed at once."""
    operations = [bulk_create(project, f"{tag}-{i}", item_type="task") for i in range(count)]
    done = await client.post("/api/v1/bulk", json={"operations": operations}, headers=ALICE)
    assert done.status_code == 200, done.text


async def _recorded(client: httpx.AsyncClient, hook: str, count: int) -> list[dict[str, Any]]:
    """The subscription's deliveries by seq, once `count` of them are recorded delivered."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        listed = await client.get(f"/api/v1/webhooks/{hook}/deliveries?limit=100", headers=ALICE)
        items = sorted(listed.json()["items"], key=lambda d: d["seq"])
        if [d["status"] for d in items] == ["delivered"] * count:
            return items
        assert asyncio.get_running_loop().time() < deadline, [d["status"] for d in items]
        await asyncio.sleep(0.1)


def _titles(receiver: Receiver, secret: str) -> list[Any]:
    return [receiver.verified(secret, i)["data"]["title"] for i in range(len(receiver.requests))]


async def test_a_burst_arrives_whole_and_in_order(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    project, secret, _ = await _setup(client, receiver.url)
    await _burst(client, project, BURST, "b")
    await receiver.arrived(BURST, within=60)
    assert _titles(receiver, secret) == [f"b-{i}" for i in range(BURST)]
    seqs = [receiver.verified(secret, i)["data"]["seq"] for i in range(BURST)]
    assert seqs == sorted(seqs)
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == BURST


async def test_a_failure_in_a_batch_holds_back_what_follows(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    project, secret, hook = await _setup(client, receiver.url)
    receiver.script = [200] * 5 + [503]  # the sixth fails once, then is retried (after 1 s)
    await _burst(client, project, 20, "f")
    await receiver.arrived(21, within=60)
    titles = _titles(receiver, secret)
    assert titles == [f"f-{i}" for i in range(6)] + [f"f-{i}" for i in range(5, 20)]
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids[5] == ids[6]  # the same message, again
    deliveries = await _recorded(client, hook, 20)  # the attempts are written after a batch
    codes = [[a["status_code"] for a in d["attempt_log"]] for d in deliveries]
    assert codes == [[200]] * 5 + [[503, 200]] + [[200]] * 14


async def test_two_processes_make_each_delivery_once(
    client: httpx.AsyncClient, settings: Settings, receiver: Receiver
) -> None:
    project, secret, _ = await _setup(client, receiver.url)
    other: FastAPI = create_app(settings)  # a second process on the same database
    async with other.router.lifespan_context(other):
        transport = httpx.ASGITransport(app=other)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as second:
            for round_ in range(4):
                writer = client if round_ % 2 == 0 else second
                await _burst(writer, project, 40, f"r{round_}")
            await receiver.arrived(160, within=60)
            titles = _titles(receiver, secret)
    expected = [f"r{r}-{i}" for r in range(4) for i in range(40)]
    assert titles == expected  # each once, in commit order, whichever process sent it
