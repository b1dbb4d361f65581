"""GET /events: the same gap-free stream the WebSocket delivers, with retention."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.conftest import admin_bearer, bearer
from tests.helpers import API, create_item, create_project


async def test_stream_is_gap_free_and_filterable(client: httpx.AsyncClient) -> None:
    one = await create_project(client, bearer(), key="ONE")
    two = await create_project(client, bearer(), key="TWO")
    item = await create_item(client, bearer(), one["id"])
    await client.patch(
        f"{API}/work-items/{item['id']}", json={"title": "Renamed"}, headers=bearer()
    )
    await create_item(client, bearer(), two["id"])
    plain = await client.get(f"{API}/events", headers=bearer())
    assert plain.status_code == 403  # the tenant-wide stream is for tenant admins
    assert plain.json()["code"] == "AUTHORIZATION_FAILED"
    everything = (await client.get(f"{API}/events", headers=admin_bearer())).json()
    seqs = [e["seq"] for e in everything["events"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert everything["last_seq"] == seqs[-1]
    kinds = [e["kind"] for e in everything["events"]]
    assert kinds[:2] == ["project_created", "project_created"]
    updated = everything["events"][kinds.index("work_item_updated")]
    assert updated["entity_id"] == item["id"]
    assert updated["payload"]["changes"] == [
        {"field_name": "title", "old_value": "An item", "new_value": "Renamed"}
    ]
    only_one = (
        await client.get(f"{API}/events", params={"project_id": one["id"]}, headers=bearer())
    ).json()
    assert {e["project_id"] for e in only_one["events"]} == {one["id"]}
    assert only_one["next_since_seq"] == everything["last_seq"]
    paged = (
        await client.get(
            f"{API}/events", params={"since_seq": 1, "limit": 2}, headers=admin_bearer()
        )
    ).json()
    assert [e["seq"] for e in paged["events"]] == [2, 3]
    assert paged["next_since_seq"] == 3


async def test_a_failed_write_takes_no_sequence_number(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    bad = await client.post(
        f"{API}/projects/{project['id']}/work-items",
        json={"item_type": "story", "title": "x", "status": "nope"},
        headers=bearer(),
    )
    assert bad.status_code == 422
    await create_item(client, bearer(), project["id"])
    seqs = [
        e["seq"]
        for e in (await client.get(f"{API}/events", headers=admin_bearer())).json()["events"]
    ]
    assert seqs == [1, 2]


async def test_events_past_retention_require_a_resync(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenancy = app.state.services.tenancy
    tenancy.event_retention = -10  # everything is already too old
    project = await create_project(client, bearer())
    await create_item(client, bearer(), project["id"])
    tenancy._last_purge.clear()
    await create_item(client, bearer(), project["id"])  # this write purges the older events
    gone = await client.get(f"{API}/events", params={"since_seq": 0}, headers=admin_bearer())
    assert gone.status_code == 410
    assert gone.json()["code"] == "RESYNC_REQUIRED"
    latest = (
        await client.get(f"{API}/events", params={"since_seq": 2}, headers=admin_bearer())
    ).json()
    assert [e["seq"] for e in latest["events"]] == [3]


async def test_numbers_go_on_after_every_older_event_is_purged(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    tenancy = app.state.services.tenancy
    tenancy.event_retention = -10  # everything is already too old
    project = await create_project(client, bearer())  # seq 1
    for _ in range(3):  # seqs 2, 3, 4: each write purges all the events before its own
        tenancy._last_purge.clear()
        await create_item(client, bearer(), project["id"])
    kept = await client.get(f"{API}/events", params={"since_seq": 3}, headers=admin_bearer())
    assert [e["seq"] for e in kept.json()["events"]] == [4]
    assert kept.json()["last_seq"] == 4
