"""Webhooks end to end: signed, ordered, retried, replayed, guarded, disabled."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from pm.core.webhooks import Delivery, Webhook
from pm.webhooks.sender import Sender, SenderConfig
from tests.conftest import admin_bearer, bearer
from tests.integration.webhooks.receiver import Receiver, receiving

ALICE = bearer("acme", "alice")


async def _project(client: httpx.AsyncClient, key: str = "PONE") -> dict[str, Any]:
    made = await client.post("/api/v1/projects", json={"key": key, "title": key}, headers=ALICE)
    assert made.status_code == 201, made.text
    return made.json()


async def _hook(
    client: httpx.AsyncClient, url: str, project_id: str | None, types: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"url": url, "event_types": types or ["*"]}
    headers = ALICE
    if project_id is not None:
        body["project_id"] = project_id
    else:
        headers = admin_bearer("acme", "alice")
    made = await client.post("/api/v1/webhooks", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()


async def _item(client: httpx.AsyncClient, project_id: str, title: str) -> dict[str, Any]:
    made = await client.post(
        f"/api/v1/projects/{project_id}/work-items",
        json={"item_type": "task", "title": title},
        headers=ALICE,
    )
    assert made.status_code == 201, made.text
    return made.json()


async def test_a_change_arrives_signed_with_the_entity(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    project = await _project(client)
    hook = await _hook(client, receiver.url, project["id"], ["work_item.created"])
    assert hook["secret"].startswith("whsec_")
    assert (
        "secret"
        not in (await client.get(f"/api/v1/webhooks/{hook['webhook']['id']}", headers=ALICE)).json()
    )
    item = await _item(client, project["id"], "Signed")
    await receiver.arrived(1)
    payload = receiver.verified(hook["secret"])
    assert payload["type"] == "work_item.created"
    data = payload["data"]
    assert data["id"] == item["id"]
    assert data["item_number"] == 1
    assert data["item_type"] == "task"
    assert data["tenant_id"] == "acme"
    assert isinstance(data["seq"], int)
    assert receiver.requests[0].headers["webhook-id"].startswith("msg_")


async def _deliveries_settled(
    client: httpx.AsyncClient, hook_id: str, count: int, within: float = 10.0
) -> list[dict[str, Any]]:
    """The hook's deliveries once `count` of them are no longer pending (or fail)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        listed = await client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=ALICE)
        items: list[dict[str, Any]] = listed.json()["items"]
        settled = [d for d in items if d["status"] != "pending"]
        if len(settled) >= count or asyncio.get_running_loop().time() > deadline:
            return items
        await asyncio.sleep(0.05)


async def test_failures_are_retried_in_order(client: httpx.AsyncClient, receiver: Receiver) -> None:
    project = await _project(client)
    hook = await _hook(client, receiver.url, project["id"], ["work_item.created"])
    receiver.script = [500, 500]
    first = await _item(client, project["id"], "first")
    second = await _item(client, project["id"], "second")
    got = await receiver.arrived(4, within=30)
    ids = [receiver.verified(hook["secret"], i)["data"]["id"] for i in range(4)]
    assert ids == [first["id"]] * 3 + [second["id"]]
    assert len({r.headers["webhook-id"] for r in got[:3]}) == 1  # the same message, retried
    # The dispatcher records an attempt once the receiver has answered it: wait for that.
    deliveries = await _deliveries_settled(client, hook["webhook"]["id"], 2)
    assert [d["status"] for d in deliveries] == ["delivered", "delivered"]
    assert [len(d["attempt_log"]) for d in deliveries] == [1, 3]
    codes = [a["status_code"] for a in deliveries[1]["attempt_log"]]
    assert codes == [500, 500, 200]
    assert deliveries[1]["attempt_log"][0]["response_excerpt"] == "ok"


async def test_a_receiver_down_then_up_gets_the_event(client: httpx.AsyncClient) -> None:
    with receiving() as probe:
        port = probe.port  # a port that is free once the probe stops
    project = await _project(client)
    hook = await _hook(client, f"http://127.0.0.1:{port}/hook", project["id"])
    await _item(client, project["id"], "while down")
    await asyncio.sleep(1.5)  # the first attempt fails: nothing listens
    with receiving(port) as receiver:
        await receiver.arrived(1, within=30)
        assert receiver.verified(hook["secret"])["type"] == "work_item.created"
    listed = await client.get(f"/api/v1/webhooks/{hook['webhook']['id']}/deliveries", headers=ALICE)
    attempts = listed.json()["items"][0]["attempt_log"]
    assert attempts[0]["status_code"] is None
    assert "connection" in attempts[0]["error"]


async def test_rotation_signs_with_both_secrets_and_replay_resends(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    project = await _project(client)
    hook = await _hook(client, receiver.url, project["id"])
    hook_id = hook["webhook"]["id"]
    rotated = await client.post(f"/api/v1/webhooks/{hook_id}/rotate-secret", headers=ALICE)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != hook["secret"]
    await _item(client, project["id"], "rotated")
    await receiver.arrived(1)
    assert len(receiver.requests[0].headers["webhook-signature"].split()) == 2
    assert receiver.verified(hook["secret"]) == receiver.verified(new_secret)
    delivery = (await client.get(f"/api/v1/webhooks/{hook_id}/deliveries", headers=ALICE)).json()
    delivery_id = delivery["items"][0]["id"]
    replayed = await client.post(
        f"/api/v1/webhooks/{hook_id}/deliveries/{delivery_id}/replay", headers=ALICE
    )
    assert replayed.status_code == 202
    await receiver.arrived(2)
    assert receiver.requests[1].headers["webhook-id"] == receiver.requests[0].headers["webhook-id"]
    ping = await client.post(f"/api/v1/webhooks/{hook_id}/test", headers=ALICE)
    assert ping.status_code == 202
    await receiver.arrived(3)
    assert receiver.verified(new_secret)["type"] == "webhook.test"


async def test_410_disables_the_subscription_and_says_so(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    project = await _project(client)
    hook = await _hook(client, receiver.url, project["id"])
    receiver.script = [410]
    await _item(client, project["id"], "gone")
    await receiver.arrived(1)
    hook_id = hook["webhook"]["id"]
    for _ in range(100):
        state = (await client.get(f"/api/v1/webhooks/{hook_id}", headers=ALICE)).json()
        if not state["enabled"]:
            break
        await asyncio.sleep(0.05)
    assert state["enabled"] is False
    assert "410" in state["disabled_reason"]
    events = await client.get(f"/api/v1/events?project_id={project['id']}", headers=ALICE)
    kinds = [e["kind"] for e in events.json()["events"]]
    assert kinds[-1] == "webhook_disabled"
    await _item(client, project["id"], "not sent")
    await asyncio.sleep(0.6)
    assert len(receiver.requests) == 1
    enabled = await client.patch(
        f"/api/v1/webhooks/{hook_id}", json={"enabled": True}, headers=ALICE
    )
    assert enabled.json()["enabled"] is True


async def test_who_may_subscribe(client: httpx.AsyncClient, receiver: Receiver) -> None:
    project = await _project(client)
    body = {"url": receiver.url, "event_types": ["*"]}
    tenant_wide = await client.post("/api/v1/webhooks", json=body, headers=ALICE)
    assert tenant_wide.status_code == 403
    other_tenant = await client.post(
        "/api/v1/webhooks",
        json={**body, "project_id": project["id"]},
        headers=bearer("evil", "eve"),
    )
    assert other_tenant.status_code == 404
    stranger = await client.post(
        "/api/v1/webhooks",
        json={**body, "project_id": project["id"]},
        headers=bearer("acme", "bob"),
    )
    assert stranger.status_code == 404
    unknown = await client.post(
        "/api/v1/webhooks",
        json={**body, "project_id": project["id"], "event_types": ["work_item.moved"]},
        headers=ALICE,
    )
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "event_types"
    made = await _hook(client, receiver.url, project["id"])
    listed = await client.get("/api/v1/webhooks", headers=bearer("acme", "bob"))
    assert listed.json()["items"] == []
    mine = await client.get("/api/v1/webhooks", headers=ALICE)
    assert [w["id"] for w in mine.json()["items"]] == [made["webhook"]["id"]]


@pytest.fixture
def guarded_settings(settings: Any) -> Any:
    return settings.model_copy(update={"webhook_allow_private_targets": False})


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:9/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://10.1.2.3/x", "private"),
        ("http://100.64.0.1/x", "carrier-grade NAT"),
        ("http://[fd00::1]/x", "private"),
        ("http://[::ffff:127.0.0.1]/x", "loopback"),
        ("ftp://example.com/x", "http"),
    ],
)
async def test_private_targets_are_refused_at_creation(
    guarded_settings: Any, url: str, why: str
) -> None:
    from pm.server.app import create_app

    app = create_app(guarded_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        refused = await client.post(
            "/api/v1/webhooks", json={"url": url, "event_types": ["*"]}, headers=admin_bearer()
        )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "url"
    assert why in refused.json()["detail"]


async def test_a_target_that_became_private_is_refused_at_send_time(receiver: Receiver) -> None:
    webhook = Webhook(
        "w", receiver.url, ("*",), None, None, True, "whsec_" + "A" * 32, None, None, 0, None,
        None, 1, 0, 0, "u", "u", None,
    )  # fmt: skip
    delivery = Delivery("d", "w", 1, "work_item.created", "{}", "pending", 0, 0, None, None, 0, 0)
    sender = Sender(SenderConfig(timeout=2, allow_private=False))
    try:
        outcome = await sender.send(webhook, delivery, 0)
    finally:
        await sender.close()
    assert outcome.status_code is None
    assert "refused target" in (outcome.error or "")
    assert receiver.requests == []
