"""GET /sync/export and POST /sync/import: one document, round trips, bad files refused."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from pm.server.app import create_app
from pm.server.settings import Settings
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


IMPORT = f"{API}/sync/import"


def _without_moment(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("exported_at", "tenant_id")}


async def _export(client: httpx.AsyncClient, tenant: str) -> dict[str, Any]:
    answer = await client.get(EXPORT, headers=admin_bearer(tenant))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _import(
    client: httpx.AsyncClient, tenant: str, body: bytes, **params: str
) -> httpx.Response:
    headers = {**admin_bearer(tenant), "Content-Type": "application/json"}
    return await client.post(IMPORT, content=body, params=params, headers=headers)


async def test_a_round_trip_gives_the_same_document(client: httpx.AsyncClient) -> None:
    await seed(client)
    await seed(client, key="PTWO")
    first = await _export(client, "acme")
    answer = await _import(client, "globex", orjson.dumps(first))
    assert answer.status_code == 200, answer.text
    counts = answer.json()["entities"]
    assert counts["work_items"] == {"created": 8, "updated": 0, "skipped": 0}
    assert counts["activity"]["created"] == len(first["activity"])
    second = await _export(client, "globex")
    assert _without_moment(second) == _without_moment(first)
    # Ids and keys kept: the same item answers by key in the new tenant.
    item = first["work_items"][0]
    found = await client.get(f"{API}/work-items/{item['key']}", headers=bearer("globex"))
    assert found.json()["id"] == item["id"]
    # Merging the same file again changes nothing.
    again = await _import(client, "globex", orjson.dumps(first), mode="merge")
    assert again.status_code == 200, again.text
    assert {c["created"] + c["updated"] for c in again.json()["entities"].values()} == {0}
    # A second create into the now full tenant is refused.
    full = await _import(client, "globex", orjson.dumps(first))
    assert (full.status_code, full.json()["field"]) == (422, "mode")


async def test_merge_takes_the_newer_row(client: httpx.AsyncClient) -> None:
    seeded = await seed(client)
    await _import(client, "globex", orjson.dumps(await _export(client, "acme")))
    task = seeded["task"]["id"]
    renamed = await client.patch(
        f"{API}/work-items/{task}", json={"title": "Renamed in acme"}, headers=bearer()
    )
    assert renamed.status_code == 200
    doc = await _export(client, "acme")
    for row in doc["work_items"]:
        if row["id"] == task:
            row["updated_at"] += 10  # the same second otherwise
    stale = next(r for r in doc["comments"])
    stale["content"], stale["updated_at"] = "Older", stale["updated_at"] - 10
    before = (await client.get(f"{API}/events", headers=admin_bearer("globex"))).json()
    answer = await _import(client, "globex", orjson.dumps(doc), mode="merge")
    assert answer.status_code == 200, answer.text
    entities = answer.json()["entities"]
    assert entities["work_items"]["updated"] == 1
    assert entities["comments"] == {"created": 0, "updated": 0, "skipped": 1}
    assert entities["activity"]["created"] == 1  # the rename's activity row
    item = (await client.get(f"{API}/work-items/{task}", headers=bearer("globex"))).json()
    assert item["title"] == "Renamed in acme"
    after = (
        await client.get(
            f"{API}/events",
            params={"since_seq": before["last_seq"]},
            headers=admin_bearer("globex"),
        )
    ).json()
    assert [e["kind"] for e in after["events"]] == ["work_item_updated"]
    assert after["events"][0]["payload"]["changes"][0]["field_name"] == "title"


async def test_an_import_emits_one_event_per_created_row(client: httpx.AsyncClient) -> None:
    await seed(client)
    doc = await _export(client, "acme")
    answer = await _import(client, "globex", orjson.dumps(doc))
    assert answer.status_code == 200
    events = (await client.get(f"{API}/events", headers=admin_bearer("globex"))).json()["events"]
    kinds = [e["kind"] for e in events]
    live_items = [w for w in doc["work_items"] if w["deleted_at"] is None]
    assert kinds.count("work_item_created") == len(live_items)
    assert kinds[0] == "project_created"
    assert "time_entry_created" in kinds
    assert "dependency_created" in kinds


async def test_a_dry_run_counts_and_writes_nothing(client: httpx.AsyncClient) -> None:
    await seed(client)
    doc = await _export(client, "acme")
    answer = await _import(client, "globex", orjson.dumps(doc), dry_run="true")
    assert answer.status_code == 200, answer.text
    assert answer.json()["dry_run"] is True
    assert answer.json()["entities"]["projects"]["created"] == 1
    after = await _export(client, "globex")
    assert after["projects"] == []
    assert after["activity"] == []


def _broken(doc: dict[str, Any], how: str) -> bytes:
    doc = orjson.loads(orjson.dumps(doc))
    items = doc["work_items"]
    if how == "dangling":
        items[-1]["parent_id"] = "no-such-item"
    elif how == "cycle":
        a, b = doc["dependencies"][0]["blocking_item_id"], doc["dependencies"][0]["blocked_item_id"]
        back = {**doc["dependencies"][0], "id": "back", "blocking_item_id": b, "blocked_item_id": a}
        doc["dependencies"].append(back)
    elif how == "timer":
        running = next(t for t in doc["time_entries"] if t["ended_at"] is None)
        doc["time_entries"].append({**running, "id": "second-timer"})
    elif how == "format":
        doc["format"] = "jira-export"
    elif how == "version":
        doc["schema_version"] = 2
    elif how == "shape":
        items[0]["priority"] = "urgent"
    return orjson.dumps(doc)


async def test_bad_files_are_refused_naming_entity_and_field(client: httpx.AsyncClient) -> None:
    await seed(client)
    doc = await _export(client, "acme")
    cases = {
        "dangling": ("work_items[", ".parent_id"),
        "cycle": ("dependencies[", ".blocked_item_id"),
        "timer": ("time_entries[", ".ended_at"),
        "format": ("format", ""),
        "version": ("schema_version", ""),
        "shape": ("work_items[0].priority", ""),
    }
    for how, (starts, ends) in cases.items():
        answer = await _import(client, "globex", _broken(doc, how))
        assert answer.status_code == 422, (how, answer.text)
        field = answer.json()["field"]
        assert field.startswith(starts), (how, field)
        assert field.endswith(ends), (how, field)
    for body in (b"not json", b"[]", b'{"format": "pm-export"'):
        answer = await _import(client, "globex", body)
        assert (answer.status_code, answer.json()["field"]) == (422, "body"), body
    assert (await _export(client, "globex"))["projects"] == []  # nothing written, ever


async def test_only_tenant_admins_import_and_the_limit_is_its_own(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    await seed(client)
    body = orjson.dumps(await _export(client, "acme"))
    user = await client.post(
        IMPORT, content=body, headers={**bearer("globex"), "Content-Type": "application/json"}
    )
    assert user.status_code == 403
    # MAX_BODY_BYTES does not apply to the import, IMPORT_MAX_BYTES does (declared or not).
    small = settings.model_copy(update={"max_body_bytes": 1024, "import_max_bytes": len(body)})
    app = create_app(small)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        accepted = await _import(c, "globex", body, dry_run="true")
        assert accepted.status_code == 200, accepted.text
        too_big = await _import(c, "globex", body + b" ")
        assert (too_big.status_code, too_big.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")

        async def chunked() -> AsyncIterator[bytes]:
            yield body
            yield b"  "

        streamed = await c.post(
            IMPORT,
            content=chunked(),
            headers={**admin_bearer("globex"), "Content-Type": "application/json"},
        )
        assert (streamed.status_code, streamed.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
        elsewhere = await c.post(f"{API}/projects", content=b" " * 2048, headers=bearer())
        assert elsewhere.status_code == 413


def _plan(project_id: str, batch: int) -> list[dict[str, Any]]:
    """1,000 creations: 50 epics, 7 stories under each, 600 tasks under the stories."""
    ops: list[dict[str, Any]] = []
    for e in range(50):
        ops.append(
            {"op": "create", "entity": "work_item", "ref": f"e{e}", "project_id": project_id}
            | {"item_type": "epic", "title": f"Epic {batch}.{e}"}
        )
        for s in range(7):
            ops.append(
                {"op": "create", "entity": "work_item", "ref": f"s{e}.{s}"}
                | {"project_id": project_id, "item_type": "story", "parent_id": f"$e{e}"}
                | {"title": f"Story {batch}.{e}.{s}", "story_points": s, "priority": "high"}
            )
    for t in range(600):
        story = f"$s{t % 50}.{t % 7}"
        ops.append(
            {"op": "create", "entity": "work_item", "project_id": project_id}
            | {"item_type": "task", "title": f"Task {batch}.{t}", "parent_id": story}
        )
    return ops


@pytest.mark.slow
async def test_a_round_trip_of_ten_thousand_items(client: httpx.AsyncClient) -> None:
    """A generated tenant of 10,000 items (with comments and links) exported, imported into
    a new tenant and exported again: the same document but for the moment and the tenant."""
    project = await create_project(client, bearer())
    tasks: list[str] = []
    for batch in range(10):
        body = {"operations": _plan(project["id"], batch)}
        answer = await client.post(f"{API}/bulk", json=body, headers=bearer())
        assert answer.status_code == 200, answer.text[:500]
        tasks += [r["id"] for r in answer.json()["results"] if r["result"]["item_type"] == "task"]
    extra = [
        {"op": "create", "entity": "comment", "work_item_id": t, "content": f"Note {i}"}
        for i, t in enumerate(tasks[:500])
    ] + [
        {"op": "create", "entity": "dependency", "blocking_item_id": a, "blocked_item_id": b}
        | {"dependency_type": "blocks"}
        for a, b in itertools.pairwise(tasks[:501])
    ]
    answer = await client.post(f"{API}/bulk", json={"operations": extra}, headers=bearer())
    assert answer.status_code == 200, answer.text[:500]
    first = await _export(client, "acme")
    assert len(first["work_items"]) == 10_000
    imported = await _import(client, "globex", orjson.dumps(first))
    assert imported.status_code == 200, imported.text
    assert imported.json()["entities"]["dependencies"]["created"] == 500
    second = await _export(client, "globex")
    assert _without_moment(second) == _without_moment(first)
