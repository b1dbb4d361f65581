"""Work items over REST: hierarchy, keys, filters, pagination, moves, deletes."""

from __future__ import annotations

import httpx

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project
from tests.tenantdb import TenantDb


async def test_create_assigns_key_number_and_defaults(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer(), key="PONE")
    epic = await create_item(client, bearer(), project["id"], "epic", "Checkout")
    story = await create_item(
        client,
        bearer(),
        project["id"],
        "story",
        "Pay",
        parent_id=epic["id"],
        story_points=5,
        priority="high",
    )
    assert (epic["key"], epic["item_number"]) == ("PONE-1", 1)
    assert (story["key"], story["item_number"]) == ("PONE-2", 2)
    assert story["status"] == "backlog"
    assert story["priority"] == "high"
    assert story["version"] == 1
    assert story["parent_id"] == epic["id"]
    assert story["created_by"] == story["updated_by"] == "alice"


async def test_get_by_id_and_by_key_with_tree(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    epic = await create_item(client, bearer(), project["id"], "epic")
    story = await create_item(client, bearer(), project["id"], "story", parent_id=epic["id"])
    task = await create_item(client, bearer(), project["id"], "task", parent_id=story["id"])
    by_key = (await client.get(f"{API}/work-items/{story['key']}", headers=bearer())).json()
    by_id = (await client.get(f"{API}/work-items/{story['id']}", headers=bearer())).json()
    assert by_key == by_id
    assert by_key["ancestor_ids"] == [epic["id"]]
    assert by_key["descendant_ids"] == [task["id"]]
    top = (await client.get(f"{API}/work-items/{epic['id']}", headers=bearer())).json()
    assert top["descendant_ids"] == [story["id"], task["id"]]


async def test_tree_lists_live_descendants_by_depth_then_id(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    pid = project["id"]
    epic = await create_item(client, bearer(), pid, "epic")
    stories = [
        await create_item(client, bearer(), pid, "story", parent_id=epic["id"]) for _ in "ab"
    ]
    tasks = [
        await create_item(client, bearer(), pid, "task", parent_id=story["id"])
        for story in stories
        for _ in "xy"
    ]
    gone = tasks.pop(1)
    deleted = await client.delete(f"{API}/work-items/{gone['id']}", headers=bearer())
    assert deleted.status_code == 204
    top = (await client.get(f"{API}/work-items/{epic['key']}", headers=bearer())).json()
    assert top["ancestor_ids"] == []
    assert top["descendant_ids"] == sorted(s["id"] for s in stories) + sorted(
        t["id"] for t in tasks
    )
    leaf = (await client.get(f"{API}/work-items/{tasks[0]['id']}", headers=bearer())).json()
    assert (leaf["ancestor_ids"], leaf["descendant_ids"]) == ([stories[0]["id"], epic["id"]], [])
    hidden = await client.get(f"{API}/work-items/{gone['id']}", headers=bearer())
    assert hidden.status_code == 404


async def test_hierarchy_rules_name_parent_id(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    epic = await create_item(client, bearer(), project["id"], "epic")
    story = await create_item(client, bearer(), project["id"], "story", parent_id=epic["id"])
    other = await create_project(client, bearer(), key="PTWO")
    foreign_epic = await create_item(client, bearer(), other["id"], "epic")
    cases = [
        {"item_type": "epic", "title": "x", "parent_id": epic["id"]},
        {"item_type": "task", "title": "x", "parent_id": epic["id"]},
        {"item_type": "story", "title": "x", "parent_id": story["id"]},
        {"item_type": "story", "title": "x", "parent_id": foreign_epic["id"]},
        {"item_type": "story", "title": "x", "parent_id": "no-such-item"},
    ]
    for body in cases:
        response = await client.post(
            f"{API}/projects/{project['id']}/work-items", json=body, headers=bearer()
        )
        assert response.status_code == 422, body
        assert response.json()["field"] == "parent_id"


async def test_moving_under_own_descendant_is_refused(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    epic_a = await create_item(client, bearer(), project["id"], "epic")
    epic_b = await create_item(client, bearer(), project["id"], "epic")
    story = await create_item(client, bearer(), project["id"], "story", parent_id=epic_a["id"])
    moved = await client.patch(
        f"{API}/work-items/{story['id']}", json={"parent_id": epic_b["id"]}, headers=bearer()
    )
    assert moved.status_code == 200
    assert moved.json()["parent_id"] == epic_b["id"]
    to_top = await client.patch(
        f"{API}/work-items/{story['id']}", json={"parent_id": None}, headers=bearer()
    )
    assert to_top.json()["parent_id"] is None
    epic_under_story = await client.patch(
        f"{API}/work-items/{epic_a['id']}", json={"parent_id": story["id"]}, headers=bearer()
    )
    assert epic_under_story.status_code == 422
    self_parent = await client.patch(
        f"{API}/work-items/{story['id']}", json={"parent_id": story["id"]}, headers=bearer()
    )
    assert self_parent.status_code == 422
    assert self_parent.json()["field"] == "parent_id"


async def test_status_must_be_a_lane(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    bad = await client.patch(
        f"{API}/work-items/{item['id']}", json={"status": "nowhere"}, headers=bearer()
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"
    good = await client.patch(
        f"{API}/work-items/{item['key']}", json={"status": "in_progress"}, headers=bearer()
    )
    assert good.status_code == 200
    assert (good.json()["status"], good.json()["version"]) == ("in_progress", 2)


async def test_update_records_field_level_activity(client: httpx.AsyncClient, db: TenantDb) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"], title="Old")
    await add_member(client, bearer(), project["id"], "bob")
    response = await client.patch(
        f"{API}/work-items/{item['id']}",
        json={"title": "New", "status": "done", "expected_version": 1},
        headers=bearer(user="bob"),
    )
    assert response.status_code == 200
    rows = db.rows(
        "SELECT action, field_name, old_value, new_value, user_id FROM pm_activity_log "
        "WHERE entity_id = ? ORDER BY id",
        item["id"],
    )
    assert rows == [
        ("created", None, None, None, "alice"),
        ("updated", "title", "Old", "New", "bob"),
        ("updated", "status", "backlog", "done", "bob"),
    ]


async def test_conflict_leaves_row_unchanged(client: httpx.AsyncClient, db: TenantDb) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"], title="Keep")
    await client.patch(f"{API}/work-items/{item['id']}", json={"title": "v2"}, headers=bearer())
    stale = await client.patch(
        f"{API}/work-items/{item['id']}",
        json={"title": "lost", "expected_version": 1},
        headers=bearer(),
    )
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "v2"
    assert stale.json()["current"]["version"] == 2
    ((title, version),) = db.rows(
        "SELECT title, version FROM pm_work_items WHERE id = ?", item["id"]
    )
    assert (title, version) == ("v2", 2)


async def test_invalid_request_writes_no_row_and_no_activity(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    project = await create_project(client, bearer())
    before = _counts(db)
    for body in (
        {"item_type": "story", "title": ""},
        {"item_type": "story", "title": "x", "status": "nope"},
        {"item_type": "story", "title": "x", "story_points": 2**64},
        {"item_type": "story", "title": "x", "version": 5},
        {"item_type": "saga", "title": "x"},
    ):
        response = await client.post(
            f"{API}/projects/{project['id']}/work-items", json=body, headers=bearer()
        )
        assert response.status_code == 422, body
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert response.json()["field"]
    assert _counts(db) == before
    # The failed creates consumed no item numbers either.
    item = await create_item(client, bearer(), project["id"])
    assert item["key"] == "PONE-1"


async def test_delete_takes_descendants_and_hides_them(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    epic = await create_item(client, bearer(), project["id"], "epic")
    story = await create_item(client, bearer(), project["id"], "story", parent_id=epic["id"])
    task = await create_item(client, bearer(), project["id"], "task", parent_id=story["id"])
    keep = await create_item(client, bearer(), project["id"], "story")
    assert (
        await client.delete(f"{API}/work-items/{epic['key']}", headers=bearer())
    ).status_code == 204
    for gone in (epic, story, task):
        assert (
            await client.get(f"{API}/work-items/{gone['id']}", headers=bearer())
        ).status_code == 404
    listed = await client.get(f"{API}/projects/{project['id']}/work-items", headers=bearer())
    assert [i["id"] for i in listed.json()["items"]] == [keep["id"]]


async def test_list_filters(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    pid = project["id"]
    epic = await create_item(client, bearer(), pid, "epic", "Billing epic")
    story = await create_item(
        client, bearer(), pid, "story", "Invoice PDF", parent_id=epic["id"], assignee_id="bob"
    )
    task = await create_item(
        client,
        bearer(),
        pid,
        "task",
        "Render 100% width",
        parent_id=story["id"],
        status="in_progress",
        description="Use the new renderer",
    )

    async def ids(**params: object) -> list[str]:
        response = await client.get(
            f"{API}/projects/{pid}/work-items", params=params, headers=bearer()
        )
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await ids() == [epic["id"], story["id"], task["id"]]
    assert await ids(item_type="task") == [task["id"]]
    assert await ids(status="in_progress") == [task["id"]]
    assert await ids(assignee_id="bob") == [story["id"]]
    assert await ids(parent_id=epic["id"]) == [story["id"]]
    assert await ids(q="invoice") == [story["id"]]
    assert await ids(q="RENDERER") == [task["id"]]
    assert await ids(q="100%") == [task["id"]]
    assert await ids(q="%") == [task["id"]]
    assert await ids(backlog="true") == [epic["id"], story["id"], task["id"]]
    assert await ids(updated_since=4_000_000_000) == []


async def test_cursor_pagination_visits_every_item_once(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    created = [
        (await create_item(client, bearer(), project["id"], title=f"i{n}"))["id"] for n in range(11)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get(
                f"{API}/projects/{project['id']}/work-items", params=params, headers=bearer()
            )
        ).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == created
    bad = await client.get(
        f"{API}/projects/{project['id']}/work-items", params={"cursor": "!!!"}, headers=bearer()
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "cursor"


async def test_range_checked_numbers_never_500(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    for params in ({"limit": 2**64}, {"limit": 0}, {"updated_since": -1}, {"updated_since": 2**70}):
        response = await client.get(
            f"{API}/projects/{project['id']}/work-items", params=params, headers=bearer()
        )
        assert response.status_code == 422, params
    item = await create_item(client, bearer(), project["id"])
    huge = await client.patch(
        f"{API}/work-items/{item['id']}", json={"position": 2**63}, headers=bearer()
    )
    assert huge.status_code == 422
    assert huge.json()["field"] == "position"


async def test_unknown_project_and_item_are_404(client: httpx.AsyncClient) -> None:
    missing = "0190a000-0000-7000-8000-000000000000"
    for method, url in (
        ("GET", f"{API}/projects/{missing}/work-items"),
        ("POST", f"{API}/projects/{missing}/work-items"),
        ("GET", f"{API}/work-items/{missing}"),
        ("GET", f"{API}/work-items/NOPE-1"),
        ("PATCH", f"{API}/work-items/{missing}"),
        ("DELETE", f"{API}/work-items/{missing}"),
    ):
        body = (
            {"item_type": "story", "title": "x"}
            if method == "POST"
            else ({} if method == "PATCH" else None)
        )
        response = await client.request(method, url, json=body, headers=bearer())
        assert response.status_code == 404, (method, url)
        assert response.json()["code"] == "NOT_FOUND"


def _counts(db: TenantDb) -> tuple[int, int]:
    items = db.rows("SELECT COUNT(*) FROM pm_work_items")[0][0]
    log = db.rows("SELECT COUNT(*) FROM pm_activity_log")[0][0]
    return items, log


async def test_refused_or_failed_creations_take_no_item_number(client: httpx.AsyncClient) -> None:
    # Taking the number, reading the project and the caller's role is one statement; a
    # creation refused (viewer, stranger) or failing (bad status) rolls the number back.
    project = await create_project(client, bearer(), key="NUMS")
    pid = project["id"]
    await add_member(client, bearer(), pid, "bob", "viewer")
    url = f"{API}/projects/{pid}/work-items"
    story = {"item_type": "story", "title": "S"}
    first = await create_item(client, bearer(), pid, "story", "First")
    assert (await client.post(url, json=story, headers=bearer(user="bob"))).status_code == 403
    assert (await client.post(url, json=story, headers=bearer(user="eve"))).status_code == 404
    bad = await client.post(url, json={**story, "status": "nowhere"}, headers=bearer())
    assert bad.status_code == 422
    second = await create_item(client, bearer(), pid, "story", "Second")
    assert (first["item_number"], second["item_number"]) == (1, 2)
    assert second["key"] == "NUMS-2"
    shown = (await client.get(f"{API}/projects/{pid}", headers=bearer())).json()
    assert shown["next_work_item_number"] == 3
