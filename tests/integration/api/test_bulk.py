"""POST /bulk: many writes in one transaction — all or nothing, `$ref`s, dry runs, events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import admin_bearer, bearer
from tests.helpers import API, add_member, bulk_create, create_item, create_project
from tests.integration.security.test_route_walk import snapshot

URL = f"{API}/bulk"


async def _events(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    answer = await client.get(f"{API}/events", params={"limit": 1000}, headers=admin_bearer())
    return list(answer.json()["events"])


async def test_a_plan_with_references_runs_in_order(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    pid = project["id"]
    before = len(await _events(client))
    operations = [
        {
            "op": "create",
            "entity": "sprint",
            "ref": "s1",
            "project_id": pid,
            "name": "Sprint 1",
            "start_date": 0,
            "end_date": 86_400,
        },
        bulk_create(pid, "The epic", item_type="epic", ref="epic"),
        bulk_create(pid, "A story", ref="story", parent_id="$epic", sprint_id="$s1"),
        bulk_create(pid, "A task", item_type="task", ref="task", parent_id="$story"),
        {"op": "update", "entity": "work_item", "id": "$task", "status": "in_progress"},
        {"op": "create", "entity": "comment", "work_item_id": "$story", "content": "Go"},
        {
            "op": "create",
            "entity": "dependency",
            "ref": "link",
            "blocking_item_id": "$task",
            "blocked_item_id": "$story",
            "dependency_type": "relates_to",
        },
        {"op": "delete", "entity": "dependency", "id": "$link"},
    ]
    answer = await client.post(URL, json={"operations": operations}, headers=bearer())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["dry_run"] is False
    results = body["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert [(r["op"], r["entity"]) for r in results][:3] == [
        ("create", "sprint"),
        ("create", "work_item"),
        ("create", "work_item"),
    ]
    ids = {r["ref"]: r["id"] for r in results if r["ref"]}
    story = results[2]["result"]
    assert story["parent_id"] == ids["epic"]
    assert story["sprint_id"] == ids["s1"]
    assert story["key"] == "PONE-2"
    assert results[4]["result"]["status"] == "in_progress"
    stored = await client.get(f"{API}/work-items/{ids['task']}", headers=bearer())
    assert stored.json()["ancestor_ids"] == [ids["story"], ids["epic"]]
    # One event per change, after the commit, in the order of the operations.
    kinds = [e["kind"] for e in (await _events(client))[before:]]
    assert kinds == [
        "sprint_created",
        "work_item_created",
        "work_item_created",
        "work_item_created",
        "work_item_updated",
        "comment_created",
        "dependency_created",
        "dependency_deleted",
    ]


async def test_the_first_failure_undoes_everything(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    project = await create_project(client, bearer())
    pid = project["id"]
    before = snapshot(data_dir)
    operations = [
        bulk_create(pid, "Fine", ref="a"),
        bulk_create(pid, "Also fine", parent_id="$a"),  # a story under a story: against the rules
        bulk_create(pid, "Never reached"),
    ]
    answer = await client.post(URL, json={"operations": operations}, headers=bearer())
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["index"] == 1
    assert problem["field"] == "operations.1.parent_id"
    assert problem["detail"].startswith("operation 1: ")
    assert problem["operation_status"] == 422
    assert snapshot(data_dir) == before  # not the first item, not its number, no event

    unknown = [bulk_create(pid, "x", parent_id="$nobody")]
    answer = await client.post(URL, json={"operations": unknown}, headers=bearer())
    assert answer.status_code == 422
    assert answer.json()["field"] == "operations.0.parent_id"
    twice = [bulk_create(pid, "x", ref="a"), bulk_create(pid, "y", ref="a")]
    answer = await client.post(URL, json={"operations": twice}, headers=bearer())
    assert (answer.status_code, answer.json()["field"]) == (422, "operations.1.ref")
    missing = [{"op": "delete", "entity": "comment", "id": "no-such-comment"}]
    answer = await client.post(URL, json={"operations": missing}, headers=bearer())
    assert answer.status_code == 422
    assert (answer.json()["operation_status"], answer.json()["operation_code"]) == (
        404,
        "NOT_FOUND",
    )
    assert snapshot(data_dir) == before


async def test_creations_side_by_side_keep_their_order_numbers_and_events(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    # Neighbouring creations in one project share their statements: the answer, the keys
    # and the events are as if each ran alone, and a failure names its own operation.
    one = (await create_project(client, bearer(), key="PONE"))["id"]
    two = (await create_project(client, bearer(), key="PTWO"))["id"]
    before = snapshot(data_dir)
    bad = [
        bulk_create(one, "a"),
        bulk_create(one, "b"),
        bulk_create(one, "c", sprint_id="no-such-sprint"),
    ]
    answer = await client.post(
        URL, json={"operations": [*bad, bulk_create(one, "d")]}, headers=bearer()
    )
    assert answer.status_code == 422, answer.text
    assert (answer.json()["index"], answer.json()["field"]) == (2, "operations.2.sprint_id")
    assert snapshot(data_dir) == before  # no row, no number, no event
    seen = len(await _events(client))
    operations = [
        bulk_create(one, "one 1", ref="first"),
        bulk_create(one, "one 2"),
        bulk_create(two, "two 1"),
        bulk_create("PONE", "one 3 by key", status="in_progress"),
        bulk_create(one, "one 4", item_type="task", parent_id="$first"),
        bulk_create(one, "one 5"),
    ]
    answer = await client.post(URL, json={"operations": operations}, headers=bearer())
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["result"]["key"] for r in results] == [
        "PONE-1",
        "PONE-2",
        "PTWO-1",
        "PONE-3",
        "PONE-4",
        "PONE-5",
    ]
    assert [r["result"]["position"] for r in results] == [1, 2, 1, 3, 4, 5]
    assert results[3]["result"]["status"] == "in_progress"
    assert results[4]["result"]["parent_id"] == results[0]["id"]
    events = (await _events(client))[seen:]
    assert [e["entity_id"] for e in events] == [r["id"] for r in results]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(results)))
    listed = await client.get(f"{API}/projects/PONE/work-items", headers=bearer())
    assert [i["title"] for i in listed.json()["items"]] == [
        "one 1",
        "one 2",
        "one 3 by key",
        "one 4",
        "one 5",
    ]


async def test_roles_hold_per_operation(client: httpx.AsyncClient, data_dir: Path) -> None:
    mine = await create_project(client, bearer(), key="MINE")
    theirs = await create_project(client, bearer("acme", "bob"), key="BOBS")
    await add_member(client, bearer("acme", "bob"), theirs["id"], "alice", "viewer")
    before = snapshot(data_dir)
    operations = [bulk_create(mine["id"], "Mine"), bulk_create(theirs["id"], "Not as a viewer")]
    answer = await client.post(URL, json={"operations": operations}, headers=bearer())
    assert answer.status_code == 422
    problem = answer.json()
    assert (problem["index"], problem["operation_status"]) == (1, 403)
    assert problem["operation_code"] == "AUTHORIZATION_FAILED"
    assert snapshot(data_dir) == before


async def test_a_dry_run_answers_and_writes_nothing(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"], title="Old")
    before = snapshot(data_dir)
    operations = [
        bulk_create(project["id"], "New", ref="n"),
        {"op": "update", "entity": "work_item", "id": item["key"], "title": "Renamed"},
        {"op": "delete", "entity": "work_item", "id": "$n"},
    ]
    body = {"dry_run": True, "operations": operations}
    answer = await client.post(URL, json=body, headers=bearer())
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["dry_run"] is True
    assert result["results"][0]["result"]["key"] == "PONE-2"
    assert result["results"][1]["result"]["title"] == "Renamed"
    assert result["results"][2]["result"] == {"deleted_ids": [result["results"][0]["id"]]}
    assert snapshot(data_dir) == before  # no row, no event, no activity
    # A dry run that breaks a rule answers like the real one.
    bad = {"dry_run": True, "operations": [bulk_create(project["id"], "x", status="nope")]}
    answer = await client.post(URL, json=bad, headers=bearer())
    assert (answer.status_code, answer.json()["field"]) == (422, "operations.0.status")


async def test_a_retry_with_the_same_key_writes_once(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    project = await create_project(client, bearer())
    headers = {**bearer(), "Idempotency-Key": "bulk-1"}
    body = {"operations": [bulk_create(project["id"], "Once"), bulk_create(project["id"], "Twice")]}
    first = await client.post(URL, json=body, headers=headers)
    after_first = snapshot(data_dir)
    second = await client.post(URL, json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert snapshot(data_dir) == after_first


async def test_the_shape_is_checked_before_anything_runs(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    cases = [
        {"operations": []},
        {"operations": [{"op": "update", "entity": "dependency", "id": "x"}]},
        {"operations": [{"op": "create", "entity": "project", "key": "X"}]},
        {"operations": [bulk_create(project["id"], "x", ref="not a name")]},
        {"operations": [bulk_create(project["id"], "x", version=3)]},  # no mass assignment
        {"operations": [bulk_create(project["id"], "x")] * 1001},
    ]
    for body in cases:
        answer = await client.post(URL, json=body, headers=bearer())
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["code"] == "VALIDATION_ERROR"
        assert answer.json()["field"].startswith("operations")


async def test_the_schema_documents_every_operation(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["paths"][f"{API}/bulk"]["post"]["requestBody"]["content"]["application/json"]
    request = schema["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    union = request["properties"]["operations"]["items"]
    assert union["discriminator"]["propertyName"] == "entity"
    assert set(union["discriminator"]["mapping"]) == {
        "work_item",
        "comment",
        "dependency",
        "sprint",
    }
