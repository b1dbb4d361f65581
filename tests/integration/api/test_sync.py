"""GET /sync/export and POST /sync/import: one document, round trips, bad files refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import admin_bearer, bearer
from tests.helpers import API, add_member, create_item, create_project

EXPORT = f"{API}/sync/export"
FIELDS = [
    "format",
    "schema_version",
    "exported_at",
    "exported_by",
    "tenant_id",
    "projects",
    "swim_lanes",
    "members",
    "sprints",
    "work_items",
    "comments",
    "dependencies",
    "time_entries",
    "activity",
]


async def seed(client: httpx.AsyncClient, key: str = "PONE") -> dict[str, Any]:
    """A project with one of everything (and a deleted item)."""
    h = bearer()
    project = await create_project(client, h, key=key)
    pid = project["id"]
    sprint = await client.post(
        f"{API}/projects/{pid}/sprints",
        json={"name": "S1", "start_date": 0, "end_date": 86_400},
        headers=h,
    )
    task_parent = await create_item(client, h, pid, "story", "Story")
    task = await create_item(client, h, pid, "task", "Task", parent_id=task_parent["id"])
    epic = await create_item(client, h, pid, "epic", "Epic (created after its story)")
    moved = await client.patch(
        f"{API}/work-items/{task_parent['id']}", json={"parent_id": epic["id"]}, headers=h
    )
    assert moved.status_code == 200
    gone = await create_item(client, h, pid, "story", "Deleted")
    assert (await client.delete(f"{API}/work-items/{gone['id']}", headers=h)).status_code == 204
    await client.post(f"{API}/work-items/{task['id']}/comments", json={"content": "Hi"}, headers=h)
    await client.post(
        f"{API}/dependencies",
        json={
            "blocking_item_id": task["id"],
            "blocked_item_id": epic["id"],
            "dependency_type": "blocks",
        },
        headers=h,
    )
    await client.post(f"{API}/work-items/{task['id']}/timer/start", json={}, headers=h)
    await add_member(client, h, pid, "bob", "viewer")
    return {"project": project, "sprint": sprint.json(), "task": task, "epic": epic}


async def test_the_export_is_one_document_with_every_row(client: httpx.AsyncClient) -> None:
    seeded = await seed(client)
    await seed(client, key="PTWO")
    answer = await client.get(EXPORT, headers=admin_bearer())
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    doc = answer.json()
    assert list(doc) == FIELDS
    assert (doc["format"], doc["schema_version"]) == ("pm-export", 1)
    assert (doc["tenant_id"], doc["exported_by"]) == ("acme", "root")
    assert len(doc["projects"]) == 2
    assert len(doc["work_items"]) == 8  # deleted ones too
    assert sum(1 for w in doc["work_items"] if w["deleted_at"] is not None) == 2
    # Field names and values as the REST entities.
    task = next(w for w in doc["work_items"] if w["id"] == seeded["task"]["id"])
    rest = (await client.get(f"{API}/work-items/{task['id']}", headers=bearer())).json()
    assert task == {k: v for k, v in rest.items() if k in task}
    assert set(rest) - set(task) == {"ancestor_ids", "descendant_ids"}
    # Parents before children, even where the parent was created later.
    seen: set[str] = set()
    for item in doc["work_items"]:
        assert item["parent_id"] is None or item["parent_id"] in seen
        seen.add(item["id"])
    assert all(lane["is_default"] in (True, False) for lane in doc["swim_lanes"])
    assert len(doc["members"]) == 4
    assert len(doc["time_entries"]) == 2
    assert len(doc["dependencies"]) == 2
    assert doc["activity"]


async def test_one_project_for_its_admins_only(client: httpx.AsyncClient) -> None:
    seeded = await seed(client)
    await seed(client, key="PTWO")
    mine = await client.get(EXPORT, params={"project": "pone"}, headers=bearer())
    assert mine.status_code == 200, mine.text
    doc = mine.json()
    assert [p["key"] for p in doc["projects"]] == ["PONE"]
    pid = seeded["project"]["id"]
    assert {w["project_id"] for w in doc["work_items"]} == {pid}
    assert {m["project_id"] for m in doc["members"]} == {pid}
    by_id = await client.get(EXPORT, params={"project": pid}, headers=bearer())
    assert by_id.json()["projects"] == doc["projects"]
    viewer = await client.get(EXPORT, params={"project": "PONE"}, headers=bearer("acme", "bob"))
    assert viewer.status_code == 403
    stranger = await client.get(EXPORT, params={"project": "PONE"}, headers=bearer("acme", "eve"))
    assert (stranger.status_code, stranger.json()["field"]) == (404, "project")
    tenant = await client.get(EXPORT, headers=bearer())
    assert tenant.status_code == 403
    other = await client.get(EXPORT, params={"project": "PONE"}, headers=admin_bearer("globex"))
    assert other.status_code == 404
