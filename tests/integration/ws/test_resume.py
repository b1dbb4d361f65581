"""Resume with since_seq: exactly the missed events, in order, then live — no gap, no duplicate."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import token
from tests.live import LiveServer
from tests.wsclient import WsClient, subscribe


def _rest(server: LiveServer, tenant: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{server.url}/api/v1",
        timeout=10,
        headers={"Authorization": f"Bearer {token(tenant)}"},
    )


async def _project(http: httpx.AsyncClient, key: str) -> str:
    response = await http.post("/projects", json={"key": key, "title": key})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_reconnect_gets_exactly_the_missed_events_then_live(
    server: LiveServer, ws_url: str
) -> None:
    async with _rest(server, "resume") as http:
        project = await _project(http, "RES")
        noise = await _project(http, "NOISE")
        client = await WsClient.open(ws_url, token("resume"))
        confirmed = await client.request("subscribe", subscribe([project]))
        resume_from = confirmed.subscription_confirmed.current_seq
        await client.close()

        created = []
        for n in range(50):
            target = project if n % 5 else noise  # events of other projects are not replayed
            item = await http.post(
                f"/projects/{target}/work-items", json={"item_type": "task", "title": f"t{n}"}
            )
            if target == project:
                created.append(item.json()["id"])
        stream = (
            await http.get(
                "/events", params={"since_seq": resume_from, "project_id": project, "limit": 1000}
            )
        ).json()
        expected = [e["seq"] for e in stream["events"]]
        assert len(expected) == len(created) == 40

        client = await WsClient.open(ws_url, token("resume"))
        try:
            reply = await client.request("subscribe", subscribe([project], since_seq=resume_from))
            assert reply.subscription_confirmed.current_seq == stream["last_seq"]
            replayed = await client.events(40)
            assert [e.seq for e in replayed] == expected
            assert [e.work_item_created.work_item.id for e in replayed] == created
            live = await http.post(
                f"/projects/{project}/work-items", json={"item_type": "task", "title": "live"}
            )
            event = await client.event("work_item_created")
            assert event.work_item_created.work_item.id == live.json()["id"]
            assert event.seq > expected[-1]
        finally:
            await client.close()


async def test_resume_while_a_writer_keeps_writing(server: LiveServer, ws_url: str) -> None:
    async with _rest(server, "resume-busy") as http:
        project = await _project(http, "BUSY")
        client = await WsClient.open(ws_url, token("resume-busy"))
        resume_from = (
            await client.request("subscribe", subscribe([project]))
        ).subscription_confirmed.current_seq
        await client.close()
        stop = asyncio.Event()

        async def writer() -> int:
            count = 0
            while not stop.is_set():
                await http.post(
                    f"/projects/{project}/work-items",
                    json={"item_type": "task", "title": f"w{count}"},
                )
                count += 1
            return count

        for round_ in range(3):
            task = asyncio.create_task(writer())
            await asyncio.sleep(0.3)
            client = await WsClient.open(ws_url, token("resume-busy"))
            try:
                await client.request("subscribe", subscribe([project], since_seq=resume_from))
                await asyncio.sleep(0.3)
                stop.set()
                written = await task
                assert written > 0, round_
                response = await http.get(
                    "/events",
                    params={"since_seq": resume_from, "project_id": project, "limit": 1000},
                )
                assert response.status_code == 200, response.text
                expected = [e["seq"] for e in response.json()["events"]]
                got = [e.seq for e in await client.events(len(expected))]
                assert got == expected  # in order, none missing, none twice
                assert await client.silent(0.5)
                resume_from = got[-1]
            finally:
                await client.close()
            stop.clear()


async def test_resume_point_older_than_kept_is_resync_required(
    server: LiveServer, ws_url: str
) -> None:
    async with _rest(server, "resync") as http:
        project = await _project(http, "SYNC")
        client = await WsClient.open(ws_url, token("resync"))
        try:
            ahead = await client.request("subscribe", subscribe([project], since_seq=10**9))
            assert ahead.error.code == "RESYNC_REQUIRED"
            assert ahead.error.field == "since_seq"
            await http.post(
                f"/projects/{project}/work-items", json={"item_type": "task", "title": "unseen"}
            )
            assert await client.silent(1.0)  # nothing was subscribed
        finally:
            await client.close()
        too_far = await http.get("/events", params={"since_seq": 10**9, "project_id": project})
        assert too_far.status_code == 410
        assert too_far.json()["code"] == "RESYNC_REQUIRED"
