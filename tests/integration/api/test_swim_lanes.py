"""Swim lanes over REST on real SQLite files."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from pm.db.repos.events import StoredEvent
from pm.proto import messages_pb2 as pb
from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import bearer
from tests.helpers import API, activity_for, create_item, create_project


async def lanes_of(client: httpx.AsyncClient, project_id: str) -> list[dict[str, Any]]:
    """The project's lanes in board order."""
    response = await client.get(f"{API}/projects/{project_id}/swim-lanes", headers=bearer())
    assert response.status_code == 200, response.text
    return list(response.json())


async def create_lane(
    client: httpx.AsyncClient,
    project_id: str,
    status_value: str = "qa",
    name: str = "QA",
    **fields: Any,
) -> dict[str, Any]:
    """Add a lane and return its JSON."""
    response = await client.post(
        f"{API}/projects/{project_id}/swim-lanes",
        json={"status_value": status_value, "name": name, **fields},
        headers=bearer(),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_new_lane_goes_after_the_last_and_becomes_a_status(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    before = await client.patch(
        f"{API}/work-items/{item['id']}", json={"status": "qa"}, headers=bearer()
    )
    assert before.status_code == 422
    assert before.json()["field"] == "status"

    lane = await create_lane(client, project["id"], name="  Quality  ")
    assert lane["name"] == "Quality"
    assert lane["is_default"] is False
    assert [x["status_value"] for x in await lanes_of(client, project["id"])] == [
        "backlog",
        "in_progress",
        "in_review",
        "done",
        "qa",
    ]
    after = await client.patch(
        f"{API}/work-items/{item['id']}", json={"status": "qa"}, headers=bearer()
    )
    assert after.status_code == 200
    assert [e["action"] for e in await activity_for(client, bearer(), "swim_lane", lane["id"])] == [
        "created"
    ]


async def test_lane_inserted_at_a_position_shifts_the_rest(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lane = await create_lane(client, project["id"], "blocked", "Blocked", position=1)
    assert lane["position"] == 1
    board = await lanes_of(client, project["id"])
    assert [(x["status_value"], x["position"]) for x in board] == [
        ("backlog", 0),
        ("blocked", 1),
        ("in_progress", 2),
        ("in_review", 3),
        ("done", 4),
    ]
    shifted = await activity_for(client, bearer(), "swim_lane", board[4]["id"])
    assert [(e["old_value"], e["new_value"], e["comment"]) for e in shifted] == [
        ("3", "4", "lane 'Blocked' was added")
    ]
    far = await create_lane(client, project["id"], "later", "Later", position=99)
    assert far["position"] == 5


async def test_duplicate_status_value_conflicts(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    response = await client.post(
        f"{API}/projects/{project['id']}/swim-lanes",
        json={"status_value": "done", "name": "Done again"},
        headers=bearer(),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert response.json()["field"] == "status_value"
    assert len(await lanes_of(client, project["id"])) == 4


async def test_bad_status_value_writes_no_row_and_no_activity(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    response = await client.post(
        f"{API}/projects/{project['id']}/swim-lanes",
        json={"status_value": "In Review 2", "name": "x"},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "status_value"
    assert len(await lanes_of(client, project["id"])) == 4
    feed = await client.get(f"{API}/projects/{project['id']}/activity", headers=bearer())
    assert [e["entity_type"] for e in feed.json()["items"]] == ["project"]


async def test_rename_and_move_a_lane(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    done = (await lanes_of(client, project["id"]))[3]
    response = await client.patch(
        f"{API}/swim-lanes/{done['id']}", json={"name": "Shipped", "position": 0}, headers=bearer()
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Shipped"
    assert response.json()["position"] == 0
    assert response.json()["status_value"] == "done"
    board = await lanes_of(client, project["id"])
    assert [(x["name"], x["position"]) for x in board] == [
        ("Shipped", 0),
        ("Backlog", 1),
        ("In Progress", 2),
        ("In Review", 3),
    ]
    changes = {
        (e["field_name"], e["old_value"], e["new_value"], e["comment"])
        for e in await activity_for(client, bearer(), "swim_lane", done["id"])
    }
    assert changes == {("name", "Done", "Shipped", None), ("position", "3", "0", None)}
    backlog = await activity_for(client, bearer(), "swim_lane", board[1]["id"])
    assert [(e["old_value"], e["new_value"], e["comment"]) for e in backlog] == [
        ("0", "1", "lane 'Done' was moved")
    ]
    put = await client.put(
        f"{API}/swim-lanes/{done['id']}", json={"name": "Done"}, headers=bearer()
    )
    assert put.json()["name"] == "Done"
    assert put.json()["position"] == 0


async def test_unchanged_lane_writes_no_activity(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lane = (await lanes_of(client, project["id"]))[1]
    response = await client.patch(
        f"{API}/swim-lanes/{lane['id']}",
        json={"name": lane["name"], "position": 1},
        headers=bearer(),
    )
    assert response.json() == lane
    assert await activity_for(client, bearer(), "swim_lane", lane["id"]) == []


async def test_status_value_cannot_be_changed(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lane = (await lanes_of(client, project["id"]))[0]
    response = await client.patch(
        f"{API}/swim-lanes/{lane['id']}", json={"status_value": "todo"}, headers=bearer()
    )
    assert response.status_code == 422
    assert (await lanes_of(client, project["id"]))[0]["status_value"] == "backlog"


async def test_default_lanes_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    for lane in await lanes_of(client, project["id"]):
        response = await client.delete(f"{API}/swim-lanes/{lane['id']}", headers=bearer())
        assert response.status_code == 422
        assert response.json()["field"] == "lane_id"
    assert len(await lanes_of(client, project["id"])) == 4


async def test_lane_in_use_cannot_be_deleted_until_emptied(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lane = await create_lane(client, project["id"])
    item = await create_item(client, bearer(), project["id"], status="qa")
    url = f"{API}/swim-lanes/{lane['id']}"
    refused = await client.delete(url, headers=bearer())
    assert refused.status_code == 422
    assert "1 work item" in refused.json()["detail"]
    assert len(await activity_for(client, bearer(), "swim_lane", lane["id"])) == 1

    await client.patch(f"{API}/work-items/{item['id']}", json={"status": "done"}, headers=bearer())
    assert (await client.delete(url, headers=bearer())).status_code == 204
    assert "qa" not in [x["status_value"] for x in await lanes_of(client, project["id"])]
    assert (await client.patch(url, json={"name": "x"}, headers=bearer())).status_code == 404
    again = await client.patch(
        f"{API}/work-items/{item['id']}", json={"status": "qa"}, headers=bearer()
    )
    assert again.status_code == 422
    # The status value is free again for a new lane.
    await create_lane(client, project["id"])


async def test_deleted_items_do_not_keep_a_lane_alive(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lane = await create_lane(client, project["id"])
    item = await create_item(client, bearer(), project["id"], status="qa")
    await client.delete(f"{API}/work-items/{item['id']}", headers=bearer())
    assert (
        await client.delete(f"{API}/swim-lanes/{lane['id']}", headers=bearer())
    ).status_code == 204


async def test_reorder_puts_every_lane_in_the_given_order(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    await create_lane(client, project["id"])
    ids = [x["id"] for x in await lanes_of(client, project["id"])]
    wanted = [ids[4], ids[0], ids[2], ids[1], ids[3]]
    response = await client.put(
        f"{API}/projects/{project['id']}/swim-lanes/order",
        json={"lane_ids": wanted},
        headers=bearer(),
    )
    assert response.status_code == 200
    assert [x["id"] for x in response.json()] == wanted
    assert [x["id"] for x in await lanes_of(client, project["id"])] == wanted
    assert [x["position"] for x in await lanes_of(client, project["id"])] == [0, 1, 2, 3, 4]
    # in_review kept position 2, so it has no reorder entry; backlog moved from 0 to 1.
    assert await activity_for(client, bearer(), "swim_lane", ids[2]) == []
    moved = await activity_for(client, bearer(), "swim_lane", ids[0])
    assert [(e["old_value"], e["new_value"], e["comment"]) for e in moved] == [
        ("0", "1", "board reordered")
    ]


async def test_reorder_must_list_exactly_the_board(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    other = await create_project(client, bearer(), key="PTWO")
    ids = [x["id"] for x in await lanes_of(client, project["id"])]
    foreign = (await lanes_of(client, other["id"]))[0]["id"]
    url = f"{API}/projects/{project['id']}/swim-lanes/order"
    for lane_ids in ([*ids[1:], ids[0], ids[0]], ids[:3], [*ids, foreign], [*ids[:3], foreign]):
        response = await client.put(url, json={"lane_ids": lane_ids}, headers=bearer())
        assert response.status_code == 422, lane_ids
        assert response.json()["field"] == "lane_ids"
    assert [x["id"] for x in await lanes_of(client, project["id"])] == ids
    for lane_id in ids:
        assert await activity_for(client, bearer(), "swim_lane", lane_id) == []


async def test_missing_project_or_lane_is_not_found(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert (
        await client.get(f"{API}/projects/{missing}/swim-lanes", headers=bearer())
    ).status_code == 404
    assert (
        await client.put(
            f"{API}/projects/{missing}/swim-lanes/order", json={"lane_ids": []}, headers=bearer()
        )
    ).status_code == 404
    response = await client.delete(f"{API}/swim-lanes/{missing}", headers=bearer())
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_other_tenant_cannot_see_or_touch_lanes(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lane = await create_lane(client, project["id"])
    other = bearer(tenant="other")
    assert (
        await client.get(f"{API}/projects/{project['id']}/swim-lanes", headers=other)
    ).status_code == 404
    assert (
        await client.post(
            f"{API}/projects/{project['id']}/swim-lanes",
            json={"status_value": "x", "name": "x"},
            headers=other,
        )
    ).status_code == 404
    assert (
        await client.patch(f"{API}/swim-lanes/{lane['id']}", json={"name": "Mine"}, headers=other)
    ).status_code == 404
    assert (await client.delete(f"{API}/swim-lanes/{lane['id']}", headers=other)).status_code == 404
    assert (await lanes_of(client, project["id"]))[-1] == lane


async def test_lane_changes_are_announced(settings: Settings) -> None:
    events: list[StoredEvent] = []

    def publish(_tenant: str, batch: Sequence[StoredEvent]) -> None:
        events.extend(batch)

    app = create_app(settings, publish=publish)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client,
    ):
        project = await create_project(client, bearer())
        events.clear()
        lane = await create_lane(client, project["id"])
        await client.patch(
            f"{API}/swim-lanes/{lane['id']}", json={"name": "Checks"}, headers=bearer()
        )
        await client.delete(f"{API}/swim-lanes/{lane['id']}", headers=bearer())
    assert [(e.kind, e.project_id) for e in events] == [
        ("swim_lane_created", project["id"]),
        ("swim_lane_updated", project["id"]),
        ("swim_lane_deleted", project["id"]),
    ]
    messages = [pb.WebSocketMessage.FromString(e.body) for e in events]
    assert messages[0].swim_lane_created.swim_lane.status_value == "qa"
    updated = messages[1].swim_lane_updated
    assert updated.swim_lane.id == lane["id"]
    assert [(c.field_name, c.new_value) for c in updated.changes] == [("name", "Checks")]
    assert messages[2].swim_lane_deleted.swim_lane_id == lane["id"]
