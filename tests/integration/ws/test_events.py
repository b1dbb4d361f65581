"""Events reach exactly the subscribers of their project, after REST and WebSocket writes."""

from __future__ import annotations

import httpx

from pm.proto import messages_pb2 as pb
from tests.conftest import token
from tests.live import LiveServer
from tests.wsclient import WsClient, subscribe


def _rest(server: LiveServer, tenant: str = "events", user: str = "alice") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{server.url}/api/v1",
        timeout=10,
        headers={"Authorization": f"Bearer {token(tenant, user)}"},
    )


async def test_ping_pong_keeps_message_id(ws_url: str) -> None:
    client = await WsClient.open(ws_url, token("events"))
    reply = await client.request("ping", pb.Ping(timestamp=5), message_id="p-1")
    assert reply.WhichOneof("payload") == "pong"
    assert reply.message_id == "p-1"
    await client.close()


async def test_subscribers_get_rest_changes_others_nothing(server: LiveServer, ws_url: str) -> None:
    async with _rest(server) as http:
        project = (await http.post("/projects", json={"key": "EVT", "title": "E"})).json()
        other = (await http.post("/projects", json={"key": "EVO", "title": "O"})).json()
        for project_id, user in ((project["id"], "bob"), (other["id"], "carol")):
            added = await http.put(
                f"/projects/{project_id}/members/{user}", json={"role": "viewer"}
            )
            assert added.status_code == 200, added.text
        first = await WsClient.open(ws_url, token("events", "alice"))
        second = await WsClient.open(ws_url, token("events", "bob"))
        elsewhere = await WsClient.open(ws_url, token("events", "carol"))
        foreign = await WsClient.open(ws_url, token("another-tenant", "alice"))
        for client in (first, second):
            confirmed = await client.request("subscribe", subscribe([project["id"]]))
            assert list(confirmed.subscription_confirmed.project_ids) == [project["id"]]
        confirmed = await elsewhere.request("subscribe", subscribe([other["id"]]))
        assert list(confirmed.subscription_confirmed.project_ids) == [other["id"]]

        item = (
            await http.post(
                f"/projects/{project['id']}/work-items",
                json={"item_type": "story", "title": "Live"},
            )
        ).json()
        await http.patch(f"/work-items/{item['id']}", json={"status": "in_progress"})
        assert (await http.delete(f"/work-items/{item['id']}")).status_code == 204

        for client in (first, second):
            created, updated, deleted = await client.events(3)
            assert created.work_item_created.work_item.id == item["id"]
            assert created.work_item_created.user_id == "alice"
            assert [
                (c.field_name, c.old_value, c.new_value) for c in updated.work_item_updated.changes
            ] == [("status", "backlog", "in_progress")]
            assert deleted.work_item_deleted.work_item_id == item["id"]
            assert created.seq < updated.seq < deleted.seq
        assert await elsewhere.silent(2.0)
        assert await foreign.silent(0.1)
        for client in (first, second, elsewhere, foreign):
            await client.close()


async def test_websocket_command_reply_and_event(server: LiveServer, ws_url: str) -> None:
    async with _rest(server, "wscmd") as http:
        project = (await http.post("/projects", json={"key": "CMD", "title": "C"})).json()
        added = await http.put(f"/projects/{project['id']}/members/bob", json={"role": "viewer"})
        assert added.status_code == 200, added.text
    writer = await WsClient.open(ws_url, token("wscmd", "alice"))
    watcher = await WsClient.open(ws_url, token("wscmd", "bob"))
    confirmed = await watcher.request("subscribe", subscribe([project["id"]]))
    assert list(confirmed.subscription_confirmed.project_ids) == [project["id"]]
    reply = await writer.request(
        "create_work_item_request",
        pb.CreateWorkItemRequest(
            item_type=pb.WORK_ITEM_TYPE_STORY, title="From a socket", project_id=project["id"]
        ),
        message_id="create-1",
    )
    assert reply.message_id == "create-1"
    assert reply.work_item_created.work_item.title == "From a socket"
    event = await watcher.event("work_item_created")
    assert event.work_item_created.work_item.id == reply.work_item_created.work_item.id
    assert event.seq > 0
    # The same message_id again: the first reply, and nothing new is written.
    again = await writer.request(
        "create_work_item_request",
        pb.CreateWorkItemRequest(
            item_type=pb.WORK_ITEM_TYPE_STORY, title="From a socket", project_id=project["id"]
        ),
        message_id="create-1",
    )
    assert again.SerializeToString() == reply.SerializeToString()
    assert await watcher.silent(1.0)
    await writer.close()
    await watcher.close()


async def test_subscribing_to_missing_or_foreign_ids_is_not_found(
    server: LiveServer, ws_url: str
) -> None:
    async with _rest(server, "owner-tenant") as http:
        project = (await http.post("/projects", json={"key": "MINE", "title": "M"})).json()
    intruder = await WsClient.open(ws_url, token("intruder-tenant", "mallory"))
    reply = await intruder.request("subscribe", subscribe([project["id"]]))
    assert reply.error.code == "NOT_FOUND"
    assert reply.error.field == "project_ids"
    async with _rest(server, "owner-tenant") as http:
        await http.post(
            f"/projects/{project['id']}/work-items", json={"item_type": "story", "title": "secret"}
        )
    assert await intruder.silent(1.5)
    await intruder.close()
