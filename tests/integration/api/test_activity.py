"""The activity log over REST: entity history, project feed, tenant feed."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import admin_bearer, bearer
from tests.helpers import API, activity_for, add_member, create_item, create_project


async def walk(
    client: httpx.AsyncClient,
    url: str,
    limit: int,
    headers: dict[str, str] | None = None,
    **params: str,
) -> list[dict[str, Any]]:
    """Every entry of a paginated activity list, following next_cursor."""
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        response = await client.get(url, params=query, headers=headers or bearer())
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


async def test_item_history_is_field_level_and_newest_first(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"], title="First")
    await add_member(client, bearer(), project["id"], "bob")
    url = f"{API}/work-items/{item['key']}"
    await client.patch(url, json={"title": "Second"}, headers=bearer())
    await client.patch(
        url, json={"status": "in_progress", "priority": "high"}, headers=bearer(user="bob")
    )

    history = await activity_for(client, bearer(), "work_item", item["id"])
    assert [(e["action"], e["field_name"]) for e in history][-2:] == [
        ("updated", "title"),
        ("created", None),
    ]
    assert {
        (e["field_name"], e["old_value"], e["new_value"], e["user_id"]) for e in history[:2]
    } == {("status", "backlog", "in_progress", "bob"), ("priority", "medium", "high", "bob")}
    assert all(
        e["entity_type"] == "work_item" and e["project_id"] == project["id"] for e in history
    )
    by_key = await client.get(f"{url}/activity", headers=bearer())
    assert by_key.status_code == 200
    assert by_key.json() == {"items": history, "next_cursor": None}


async def test_pagination_walks_every_entry_once_newest_first(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    for n in range(6):
        await client.patch(
            f"{API}/work-items/{item['id']}", json={"title": f"Title {n}"}, headers=bearer()
        )
    everything = await activity_for(client, bearer(), "work_item", item["id"])
    assert len(everything) == 7
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    paged = await walk(client, f"{API}/activity", 3, entity_type="work_item", entity_id=item["id"])
    assert paged == everything
    nested = await walk(client, f"{API}/work-items/{item['key']}/activity", 2)
    assert nested == everything
    assert [e["new_value"] for e in everything[:2]] == ["Title 5", "Title 4"]


async def test_project_feed_covers_everything_in_the_project(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    other = await create_project(client, bearer(), key="PTWO")
    item = await create_item(client, bearer(), project["id"])
    await create_item(client, bearer(), other["id"])
    sprint = await client.post(
        f"{API}/projects/{project['id']}/sprints",
        json={"name": "S1", "start_date": 0, "end_date": 10},
        headers=bearer(),
    )
    lane = await client.post(
        f"{API}/projects/{project['id']}/swim-lanes",
        json={"status_value": "qa", "name": "QA"},
        headers=bearer(),
    )

    feed = await walk(client, f"{API}/projects/{project['id']}/activity", 2)
    assert [(e["entity_type"], e["entity_id"]) for e in feed] == [
        ("swim_lane", lane.json()["id"]),
        ("sprint", sprint.json()["id"]),
        ("work_item", item["id"]),
        ("project", project["id"]),
    ]
    assert all(e["project_id"] == project["id"] for e in feed)


async def test_tenant_feed_without_filters(client: httpx.AsyncClient) -> None:
    one = await create_project(client, bearer())
    two = await create_project(client, bearer(), key="PTWO")
    feed = await walk(client, f"{API}/activity", 1, admin_bearer())
    assert [e["entity_id"] for e in feed] == [two["id"], one["id"]]
    plain = await client.get(f"{API}/activity", headers=bearer())
    assert plain.status_code == 403
    assert plain.json()["code"] == "AUTHORIZATION_FAILED"


async def test_history_of_a_deleted_item_stays_readable(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    await client.delete(f"{API}/work-items/{item['id']}", headers=bearer())
    assert (
        await client.get(f"{API}/work-items/{item['id']}/activity", headers=bearer())
    ).status_code == 404
    history = await activity_for(client, bearer(), "work_item", item["id"])
    assert [e["action"] for e in history] == ["deleted", "created"]


async def test_missing_entities_are_not_found(client: httpx.AsyncClient) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for url in (
        f"{API}/work-items/{missing}/activity",
        f"{API}/work-items/NOPE-1/activity",
        f"{API}/projects/{missing}/activity",
    ):
        response = await client.get(url, headers=bearer())
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "NOT_FOUND"


async def test_bad_filters_and_cursors_are_refused(client: httpx.AsyncClient) -> None:
    bad_type = await client.get(
        f"{API}/activity", params={"entity_type": "planet", "entity_id": "x"}, headers=bearer()
    )
    assert bad_type.status_code == 422
    assert bad_type.json()["field"] == "entity_type"
    half = await client.get(f"{API}/activity", params={"entity_id": "x"}, headers=bearer())
    assert half.status_code == 422
    assert half.json()["field"] == "entity_type"
    cursor = await client.get(
        f"{API}/activity", params={"cursor": "not a cursor"}, headers=bearer()
    )
    assert cursor.status_code == 422
    assert cursor.json()["field"] == "cursor"
    too_many = await client.get(f"{API}/activity", params={"limit": 201}, headers=bearer())
    assert too_many.status_code == 422
    assert too_many.json()["field"] == "limit"


async def test_other_tenant_sees_none_of_it(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    other = bearer(tenant="other")
    assert (
        await client.get(f"{API}/work-items/{item['id']}/activity", headers=other)
    ).status_code == 404
    assert (
        await client.get(f"{API}/work-items/{item['key']}/activity", headers=other)
    ).status_code == 404
    assert (
        await client.get(f"{API}/projects/{project['id']}/activity", headers=other)
    ).status_code == 404
    filtered = await client.get(
        f"{API}/activity",
        params={"entity_type": "work_item", "entity_id": item["id"]},
        headers=other,
    )
    assert filtered.json() == {"items": [], "next_cursor": None}
    other_admin = admin_bearer(tenant="other")
    assert (await client.get(f"{API}/activity", headers=other_admin)).json()["items"] == []


async def test_reading_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/activity")
    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_FAILED"
