"""Projects over REST on real SQLite files."""

from __future__ import annotations

import httpx

from tests.conftest import bearer
from tests.helpers import API, create_project


async def test_create_get_list_project(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer(), key="PONE", title="  Project one ")
    assert project["key"] == "PONE"
    assert project["title"] == "Project one"
    assert project["version"] == 1
    assert project["created_by"] == "alice"

    got = await client.get(f"{API}/projects/{project['id']}", headers=bearer())
    assert got.status_code == 200
    assert got.json() == project

    listed = await client.get(f"{API}/projects", headers=bearer())
    assert listed.json() == {"items": [project], "next_cursor": None}


async def test_project_gets_four_default_lanes(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    lanes = await client.get(f"{API}/projects/{project['id']}/swim-lanes", headers=bearer())
    assert [lane["status_value"] for lane in lanes.json()] == [
        "backlog",
        "in_progress",
        "in_review",
        "done",
    ]
    assert all(lane["is_default"] for lane in lanes.json())


async def test_duplicate_key_is_a_conflict_on_key(client: httpx.AsyncClient) -> None:
    await create_project(client, bearer(), key="DUP")
    again = await client.post(
        f"{API}/projects", json={"key": "DUP", "title": "x"}, headers=bearer()
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "CONFLICT"
    assert again.json()["field"] == "key"


async def test_bad_key_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/projects", json={"key": "lower", "title": "x"}, headers=bearer()
    )
    assert response.status_code == 422
    assert response.json()["field"] == "key"


async def test_pagination_walks_every_project_once(client: httpx.AsyncClient) -> None:
    keys = [f"P{i:02d}" for i in range(7)]
    for key in keys:
        await create_project(client, bearer(), key=key)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/projects", params=params, headers=bearer())).json()
        seen += [p["key"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == keys


async def test_update_with_stale_version_conflicts_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}"
    ok = await client.patch(url, json={"title": "Renamed", "expected_version": 1}, headers=bearer())
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = await client.patch(url, json={"title": "Lost", "expected_version": 1}, headers=bearer())
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "Renamed"
    assert (await client.get(url, headers=bearer())).json()["title"] == "Renamed"


async def test_if_match_header_is_an_expected_version(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}"
    stale = await client.put(url, json={"title": "x"}, headers={**bearer(), "If-Match": '"7"'})
    assert stale.status_code == 409


async def test_delete_is_soft_and_hides_the_project(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}"
    assert (await client.delete(url, headers=bearer())).status_code == 204
    assert (await client.get(url, headers=bearer())).status_code == 404
    assert (await client.get(f"{API}/projects", headers=bearer())).json()["items"] == []
    # The key stays reserved: keys are never reused.
    again = await client.post(
        f"{API}/projects", json={"key": project["key"], "title": "x"}, headers=bearer()
    )
    assert again.status_code == 409


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/projects",
        json={"key": "SAFE", "title": "x", "created_by": "mallory", "version": 99},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"created_by", "version"}
