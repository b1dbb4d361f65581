"""Sprints over REST on real SQLite files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest

from pm.db.repos.events import StoredEvent
from pm.proto import messages_pb2 as pb
from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import bearer
from tests.helpers import API, activity_for, create_item, create_project

DAY = 86_400
START = 1_767_225_600  # 2026-01-01


async def create_sprint(
    client: httpx.AsyncClient,
    project_id: str,
    name: str = "Sprint 1",
    start: int = START,
    days: int = 14,
    **fields: Any,
) -> dict[str, Any]:
    """Plan a sprint and return its JSON."""
    response = await client.post(
        f"{API}/projects/{project_id}/sprints",
        json={"name": name, "start_date": start, "end_date": start + days * DAY, **fields},
        headers=bearer(),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def set_status(client: httpx.AsyncClient, sprint_id: str, status: str) -> httpx.Response:
    """PATCH a sprint's status."""
    return await client.patch(
        f"{API}/sprints/{sprint_id}", json={"status": status}, headers=bearer()
    )


@pytest.fixture
async def recorded(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, list[StoredEvent]]]:
    """A client on an app whose published events are collected in a list."""
    events: list[StoredEvent] = []

    def publish(_tenant: str, batch: Sequence[StoredEvent]) -> None:
        events.extend(batch)

    application = create_app(settings, publish=publish)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c, events


async def test_create_get_and_list_by_start_date(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    later = await create_sprint(client, project["id"], "Later", start=START + 30 * DAY)
    first = await create_sprint(client, project["id"], "  First  ", goal="Ship the board")
    assert first["name"] == "First"
    assert first["status"] == "planned"
    assert first["version"] == 1
    assert first["goal"] == "Ship the board"
    assert first["created_by"] == "alice"

    got = await client.get(f"{API}/sprints/{first['id']}", headers=bearer())
    assert got.status_code == 200
    assert got.json() == first
    listed = await client.get(f"{API}/projects/{project['id']}/sprints", headers=bearer())
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()] == ["First", "Later"]
    assert [e["action"] for e in await activity_for(client, bearer(), "sprint", later["id"])] == [
        "created"
    ]


async def test_end_before_start_is_refused_and_writes_nothing(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    response = await client.post(
        f"{API}/projects/{project['id']}/sprints",
        json={"name": "Backwards", "start_date": START, "end_date": START - 1},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["field"] == "end_date"
    assert (
        await client.get(f"{API}/projects/{project['id']}/sprints", headers=bearer())
    ).json() == []
    feed = await client.get(f"{API}/projects/{project['id']}/activity", headers=bearer())
    assert [e["entity_type"] for e in feed.json()["items"]] == ["project"]


async def test_blank_name_is_refused(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    response = await client.post(
        f"{API}/projects/{project['id']}/sprints",
        json={"name": "   ", "start_date": START, "end_date": START},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "name"


async def test_missing_project_is_not_found(client: httpx.AsyncClient) -> None:
    url = f"{API}/projects/00000000-0000-0000-0000-000000000000/sprints"
    assert (await client.get(url, headers=bearer())).status_code == 404
    created = await client.post(
        url, json={"name": "x", "start_date": 0, "end_date": 1}, headers=bearer()
    )
    assert created.status_code == 404
    assert created.json()["code"] == "NOT_FOUND"


async def test_lifecycle_planned_active_completed(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    active = await set_status(client, sprint["id"], "active")
    assert active.status_code == 200
    assert active.json()["status"] == "active"
    assert active.json()["version"] == 2
    back = await set_status(client, sprint["id"], "planned")
    assert back.status_code == 422
    assert back.json()["field"] == "status"
    done = await set_status(client, sprint["id"], "completed")
    assert done.json()["status"] == "completed"
    assert (await set_status(client, sprint["id"], "active")).status_code == 422
    assert (await set_status(client, sprint["id"], "cancelled")).status_code == 200
    final = await set_status(client, sprint["id"], "planned")
    assert final.status_code == 422
    history = await activity_for(client, bearer(), "sprint", sprint["id"])
    assert [(e["old_value"], e["new_value"]) for e in history if e["field_name"] == "status"] == [
        ("completed", "cancelled"),
        ("active", "completed"),
        ("planned", "active"),
    ]


async def test_planned_sprint_cannot_complete(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    response = await set_status(client, sprint["id"], "completed")
    assert response.status_code == 422
    assert (await client.get(f"{API}/sprints/{sprint['id']}", headers=bearer())).json()[
        "status"
    ] == "planned"


async def test_second_active_sprint_conflicts_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client, bearer())
    first = await create_sprint(client, project["id"], "One")
    second = await create_sprint(client, project["id"], "Two", start=START + 14 * DAY)
    assert (await set_status(client, first["id"], "active")).status_code == 200
    clash = await set_status(client, second["id"], "active")
    assert clash.status_code == 409
    assert clash.json()["code"] == "CONFLICT"
    assert clash.json()["field"] == "status"
    assert (await client.get(f"{API}/sprints/{second['id']}", headers=bearer())).json() == second
    assert len(await activity_for(client, bearer(), "sprint", second["id"])) == 1
    # Once the first is completed, the second may start.
    assert (await set_status(client, first["id"], "completed")).status_code == 200
    assert (await set_status(client, second["id"], "active")).status_code == 200
    active = await client.get(
        f"{API}/projects/{project['id']}/sprints", params={"status": "active"}, headers=bearer()
    )
    assert [s["name"] for s in active.json()] == ["Two"]


async def test_update_logs_each_changed_field(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"], goal="old goal")
    response = await client.patch(
        f"{API}/sprints/{sprint['id']}",
        json={"name": "Renamed", "goal": None, "expected_version": 1},
        headers=bearer(),
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["goal"] is None
    assert response.json()["version"] == 2
    changes = {
        (e["field_name"], e["old_value"], e["new_value"])
        for e in await activity_for(client, bearer(), "sprint", sprint["id"])
        if e["action"] == "updated"
    }
    assert changes == {("name", "Sprint 1", "Renamed"), ("goal", "old goal", None)}


async def test_moving_end_before_start_is_refused(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    response = await client.patch(
        f"{API}/sprints/{sprint['id']}",
        json={"start_date": sprint["end_date"] + 1},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "end_date"


async def test_stale_version_conflicts_with_the_current_row(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    url = f"{API}/sprints/{sprint['id']}"
    assert (
        await client.put(url, json={"name": "New", "expected_version": 1}, headers=bearer())
    ).status_code == 200
    stale = await client.patch(url, json={"name": "Lost"}, headers={**bearer(), "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.json()["current"]["name"] == "New"
    assert stale.json()["current"]["version"] == 2
    assert (await client.get(url, headers=bearer())).json()["name"] == "New"


async def test_delete_returns_items_to_the_backlog(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    story = await create_item(client, bearer(), project["id"], sprint_id=sprint["id"])
    untouched = await create_item(client, bearer(), project["id"], title="Not planned")

    response = await client.delete(f"{API}/sprints/{sprint['id']}", headers=bearer())
    assert response.status_code == 204
    assert (await client.get(f"{API}/sprints/{sprint['id']}", headers=bearer())).status_code == 404
    assert (
        await client.get(f"{API}/projects/{project['id']}/sprints", headers=bearer())
    ).json() == []
    moved = (await client.get(f"{API}/work-items/{story['key']}", headers=bearer())).json()
    assert moved["sprint_id"] is None
    assert moved["version"] == story["version"] + 1
    entry = (await activity_for(client, bearer(), "work_item", story["id"]))[0]
    assert (entry["field_name"], entry["old_value"], entry["new_value"]) == (
        "sprint_id",
        sprint["id"],
        None,
    )
    other = (await client.get(f"{API}/work-items/{untouched['key']}", headers=bearer())).json()
    assert other["version"] == 1


async def test_delete_with_stale_version_keeps_sprint_and_items(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    story = await create_item(client, bearer(), project["id"], sprint_id=sprint["id"])
    response = await client.delete(
        f"{API}/sprints/{sprint['id']}", params={"expected_version": 3}, headers=bearer()
    )
    assert response.status_code == 409
    assert response.json()["current"]["id"] == sprint["id"]
    assert (await client.get(f"{API}/sprints/{sprint['id']}", headers=bearer())).status_code == 200
    item = (await client.get(f"{API}/work-items/{story['id']}", headers=bearer())).json()
    assert item["sprint_id"] == sprint["id"]
    assert len(await activity_for(client, bearer(), "work_item", story["id"])) == 1


async def test_events_of_a_sprint_and_its_items(
    recorded: tuple[httpx.AsyncClient, list[StoredEvent]],
) -> None:
    client, events = recorded
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    story = await create_item(client, bearer(), project["id"], sprint_id=sprint["id"])
    await set_status(client, sprint["id"], "active")
    events.clear()
    refused = await client.post(
        f"{API}/projects/{project['id']}/sprints",
        json={"name": "x", "start_date": 5, "end_date": 1},
        headers=bearer(),
    )
    assert refused.status_code == 422
    assert events == []

    await client.patch(f"{API}/sprints/{sprint['id']}", json={"goal": "Focus"}, headers=bearer())
    await client.delete(f"{API}/sprints/{sprint['id']}", headers=bearer())
    assert [(e.kind, e.project_id) for e in events] == [
        ("sprint_updated", project["id"]),
        ("work_item_updated", project["id"]),
        ("sprint_deleted", project["id"]),
    ]
    assert all(e.sprint_ids == (sprint["id"],) for e in events)
    assert events[1].work_item_ids == (story["id"],)
    updated = pb.WebSocketMessage.FromString(events[0].body).sprint_updated
    assert [(c.field_name, c.new_value) for c in updated.changes] == [("goal", "Focus")]
    moved = pb.WebSocketMessage.FromString(events[1].body).work_item_updated
    assert moved.work_item.id == story["id"]
    assert not moved.work_item.HasField("sprint_id")
    assert [(c.field_name, c.old_value) for c in moved.changes] == [("sprint_id", sprint["id"])]
    deleted = pb.WebSocketMessage.FromString(events[2].body).sprint_deleted
    assert deleted.sprint_id == sprint["id"]


async def test_other_tenant_cannot_see_or_touch_a_sprint(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    other = bearer(tenant="other")
    url = f"{API}/sprints/{sprint['id']}"
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.patch(url, json={"name": "Mine"}, headers=other)).status_code == 404
    assert (await client.delete(url, headers=other)).status_code == 404
    project_url = f"{API}/projects/{project['id']}/sprints"
    assert (await client.get(project_url, headers=other)).status_code == 404
    assert (
        await client.post(
            project_url, json={"name": "x", "start_date": 0, "end_date": 0}, headers=other
        )
    ).status_code == 404
    assert (await client.get(url, headers=bearer())).json() == sprint


async def test_unknown_fields_and_bad_status_are_refused(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    sprint = await create_sprint(client, project["id"])
    extra = await client.patch(
        f"{API}/sprints/{sprint['id']}", json={"project_id": "elsewhere"}, headers=bearer()
    )
    assert extra.status_code == 422
    assert extra.json()["field"] == "project_id"
    bad = await set_status(client, sprint["id"], "paused")
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"
