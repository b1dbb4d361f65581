"""Project keys wherever a project id goes, and the tree / done filters of work item lists."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project

OWNER = bearer()


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if status != 204 else None


@pytest.mark.parametrize("ref", ["PONE", "pone", "Pone"])
async def test_every_project_route_takes_the_key_in_any_case(
    client: httpx.AsyncClient, ref: str
) -> None:
    project = await create_project(client, OWNER, key="PONE")
    pid = project["id"]
    base = f"{API}/projects/{ref}"
    assert await _ok(await client.get(base, headers=OWNER)) == project

    item = await _ok(
        await client.post(
            f"{base}/work-items", json={"item_type": "epic", "title": "E"}, headers=OWNER
        ),
        201,
    )
    assert (item["project_id"], item["key"]) == (pid, "PONE-1")
    listed = await _ok(await client.get(f"{base}/work-items", headers=OWNER))
    assert [i["id"] for i in listed["items"]] == [item["id"]]
    by_lower_key = await _ok(await client.get(f"{API}/work-items/pone-1", headers=OWNER))
    assert by_lower_key["id"] == item["id"]

    sprint = await _ok(
        await client.post(
            f"{base}/sprints",
            json={"name": "S1", "start_date": 0, "end_date": 86_400},
            headers=OWNER,
        ),
        201,
    )
    assert sprint["project_id"] == pid
    assert [s["id"] for s in await _ok(await client.get(f"{base}/sprints", headers=OWNER))] == [
        sprint["id"]
    ]

    lane = await _ok(
        await client.post(
            f"{base}/swim-lanes", json={"status_value": "qa", "name": "QA"}, headers=OWNER
        ),
        201,
    )
    assert lane["project_id"] == pid
    lanes = await _ok(await client.get(f"{base}/swim-lanes", headers=OWNER))
    order = [x["id"] for x in reversed(lanes)]
    reordered = await _ok(
        await client.put(f"{base}/swim-lanes/order", json={"lane_ids": order}, headers=OWNER)
    )
    assert [x["id"] for x in reordered] == order

    member = await _ok(
        await client.put(f"{base}/members/bob", json={"role": "viewer"}, headers=OWNER)
    )
    assert member["project_id"] == pid
    assert {
        m["user_id"] for m in await _ok(await client.get(f"{base}/members", headers=OWNER))
    } == {
        "alice",
        "bob",
    }
    await _ok(await client.delete(f"{base}/members/bob", headers=OWNER), 204)

    history = await _ok(await client.get(f"{base}/activity", headers=OWNER))
    assert history["items"]
    assert {e["project_id"] for e in history["items"]} == {pid}
    stream = await _ok(await client.get(f"{API}/events", params={"project_id": ref}, headers=OWNER))
    assert stream["events"]
    assert {e["project_id"] for e in stream["events"]} == {pid}

    patched = await _ok(await client.patch(base, json={"title": "Renamed"}, headers=OWNER))
    assert (patched["id"], patched["title"]) == (pid, "Renamed")
    await _ok(await client.delete(base, headers=OWNER), 204)
    assert (await client.get(f"{API}/projects/{pid}", headers=OWNER)).status_code == 404


async def test_a_key_is_no_way_around_membership(client: httpx.AsyncClient) -> None:
    await create_project(client, OWNER, key="PONE")
    for ref in ("PONE", "pone", "PTWO", "P"):
        response = await client.get(f"{API}/projects/{ref}/work-items", headers=bearer(user="eve"))
        assert response.status_code == 404, (ref, response.text)
        assert response.json()["code"] == "NOT_FOUND"


async def test_a_viewer_reads_by_key_but_cannot_write(client: httpx.AsyncClient) -> None:
    project = await create_project(client, OWNER, key="PONE")
    await add_member(client, OWNER, project["id"], "vic", "viewer")
    viewer = bearer(user="vic")
    assert (await client.get(f"{API}/projects/pone/work-items", headers=viewer)).status_code == 200
    refused = await client.post(
        f"{API}/projects/pone/work-items", json={"item_type": "epic", "title": "x"}, headers=viewer
    )
    assert refused.status_code == 403


async def _tree(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """PONE: epic > story > (task, done task); a second epic; a story without an epic."""
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    epic = await create_item(client, OWNER, pid, "epic", "Epic")
    story = await create_item(client, OWNER, pid, "story", "Story", parent_id=epic["id"])
    task = await create_item(client, OWNER, pid, "task", "Task", parent_id=story["id"])
    done = await create_item(
        client, OWNER, pid, "task", "Done task", parent_id=story["id"], status="done"
    )
    other = await create_item(client, OWNER, pid, "epic", "Other epic")
    loose = await create_item(client, OWNER, pid, "story", "Loose story")
    return {
        "epic": epic,
        "story": story,
        "task": task,
        "done": done,
        "other": other,
        "loose": loose,
    }


async def _keys(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(f"{API}/projects/PONE/work-items", params=params, headers=OWNER)
    page = await _ok(response)
    return [item["title"] for item in page["items"]]


async def test_tree_filters_take_an_id_or_a_key(client: httpx.AsyncClient) -> None:
    tree = await _tree(client)
    for ref in (tree["epic"]["id"], tree["epic"]["key"], tree["epic"]["key"].lower()):
        assert await _keys(client, descendants_of=ref) == ["Story", "Task", "Done task"]
    assert await _keys(client, descendants_of=tree["task"]["key"]) == []
    for ref in (tree["task"]["id"], tree["task"]["key"]):
        assert await _keys(client, ancestors_of=ref) == ["Epic", "Story"]
    assert await _keys(client, ancestors_of=tree["epic"]["id"]) == []
    assert await _keys(client, orphaned=True) == ["Epic", "Other epic", "Loose story"]
    assert await _keys(client, orphaned=True, item_type="story") == ["Loose story"]
    # Filters combine, and the tree walks page like any list.
    assert await _keys(client, descendants_of=tree["epic"]["key"], item_type="task") == [
        "Task",
        "Done task",
    ]
    first = await _ok(
        await client.get(
            f"{API}/projects/PONE/work-items",
            params={"descendants_of": tree["epic"]["id"], "limit": 2},
            headers=OWNER,
        )
    )
    assert [i["title"] for i in first["items"]] == ["Story", "Task"]
    rest = await _keys(client, descendants_of=tree["epic"]["id"], cursor=first["next_cursor"])
    assert rest == ["Done task"]


async def test_include_done_false_hides_the_done_lane_and_the_lanes_after_it(
    client: httpx.AsyncClient,
) -> None:
    tree = await _tree(client)
    assert "Done task" in await _keys(client)
    assert "Done task" not in await _keys(client, include_done=False)
    # A lane placed after Done ("released") counts as done; one placed before it does not.
    for status, position in (("released", 99), ("blocked", 1)):
        await _ok(
            await client.post(
                f"{API}/projects/PONE/swim-lanes",
                json={"status_value": status, "name": status.title(), "position": position},
                headers=OWNER,
            ),
            201,
        )
    for name, status in (("task", "released"), ("loose", "blocked")):
        await _ok(
            await client.patch(
                f"{API}/work-items/{tree[name]['id']}", json={"status": status}, headers=OWNER
            )
        )
    assert await _keys(client, include_done=False) == ["Epic", "Story", "Other epic", "Loose story"]


@pytest.mark.parametrize("name", ["descendants_of", "ancestors_of"])
async def test_a_tree_filter_naming_an_item_outside_the_project_is_422(
    client: httpx.AsyncClient, name: str
) -> None:
    await _tree(client)
    other = (await create_project(client, OWNER, key="PTWO"))["id"]
    foreign = await create_item(client, OWNER, other, "epic", "Foreign")
    for ref in (foreign["id"], foreign["key"], "PONE-999", "no-such-item"):
        response = await client.get(
            f"{API}/projects/PONE/work-items", params={name: ref}, headers=OWNER
        )
        assert response.status_code == 422, (ref, response.text)
        assert response.json()["field"] == name
        assert "does not exist in project PONE" in response.json()["detail"]


async def test_openapi_describes_keys_and_the_new_filters(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    listing = doc["paths"][f"{API}/projects/{{project_id}}/work-items"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert {"orphaned", "descendants_of", "ancestors_of", "include_done"} <= set(params)
    assert params["include_done"]["schema"]["default"] is True
    assert "key" in params["project_id"]["description"]
    item = doc["paths"][f"{API}/work-items/{{id_or_key}}"]["get"]
    assert "PONE-42" in item["parameters"][0]["description"]
