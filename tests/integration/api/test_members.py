"""Project membership over REST: viewers read, editors change work, admins run the project.

A user who is not a member sees the project exactly as if it did not exist (404); a member
without the role gets 403; a tenant admin (role claim in the token) may do everything.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import admin_bearer, bearer
from tests.helpers import API, add_member, create_item, create_project

ALICE, BOB, CAROL = bearer(user="alice"), bearer(user="bob"), bearer(user="carol")
MISSING = "00000000-0000-0000-0000-000000000000"


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """One request to the API (path relative to /api/v1)."""
    return await client.request(method, f"{API}{path}", json=body, headers=headers)


async def members_of(client: httpx.AsyncClient, project_id: str) -> dict[str, str]:
    """user_id → role of a project's members (as its creator sees them)."""
    response = await call(client, "GET", f"/projects/{project_id}/members", ALICE)
    assert response.status_code == 200, response.text
    return {m["user_id"]: m["role"] for m in response.json()}


async def board(client: httpx.AsyncClient) -> dict[str, Any]:
    """alice's project with a story, a sprint and a comment; returns their ids."""
    project = await create_project(client, ALICE)
    pid = project["id"]
    story = await create_item(client, ALICE, pid, title="Story")
    sprint = await call(
        client,
        "POST",
        f"/projects/{pid}/sprints",
        ALICE,
        {"name": "S1", "start_date": 0, "end_date": 86_400},
    )
    assert sprint.status_code == 201, sprint.text
    comment = await call(
        client, "POST", f"/work-items/{story['id']}/comments", ALICE, {"content": "Hi"}
    )
    assert comment.status_code == 201, comment.text
    lanes = await call(client, "GET", f"/projects/{pid}/swim-lanes", ALICE)
    return {
        "project": project,
        "story": story,
        "sprint": sprint.json(),
        "comment": comment.json(),
        "lane": lanes.json()[0],
    }


def assert_forbidden(response: httpx.Response, what: str) -> None:
    assert response.status_code == 403, (what, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "AUTHORIZATION_FAILED", what


async def test_the_creator_of_a_project_is_its_admin(client: httpx.AsyncClient) -> None:
    project = await create_project(client, ALICE)
    response = await call(client, "GET", f"/projects/{project['id']}/members", ALICE)
    assert response.status_code == 200
    [member] = response.json()
    assert member["project_id"] == project["id"]
    assert (member["user_id"], member["role"]) == ("alice", "admin")
    assert member["created_by"] == member["updated_by"] == "alice"
    assert member["created_at"] == member["updated_at"] == project["created_at"]


async def test_a_viewer_reads_everything_and_changes_nothing(client: httpx.AsyncClient) -> None:
    b = await board(client)
    pid, story = b["project"]["id"], b["story"]
    added = await add_member(client, ALICE, pid, "bob", "viewer")
    assert (added["user_id"], added["role"], added["created_by"]) == ("bob", "viewer", "alice")

    reads = [
        f"/projects/{pid}",
        f"/projects/{pid}/work-items",
        f"/projects/{pid}/sprints",
        f"/projects/{pid}/swim-lanes",
        f"/projects/{pid}/members",
        f"/projects/{pid}/activity",
        f"/work-items/{story['id']}",
        f"/work-items/{story['key']}",
        f"/work-items/{story['key']}/comments",
        f"/work-items/{story['key']}/time-entries",
        f"/work-items/{story['key']}/dependencies",
        f"/work-items/{story['key']}/activity",
        f"/sprints/{b['sprint']['id']}",
        f"/events?project_id={pid}",
    ]
    for path in reads:
        response = await call(client, "GET", path, BOB)
        assert response.status_code == 200, (path, response.text)
    listed = await call(client, "GET", "/projects", BOB)
    assert [p["id"] for p in listed.json()["items"]] == [pid]

    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", f"/projects/{pid}/work-items", {"item_type": "task", "title": "Mine"}),
        ("PATCH", f"/work-items/{story['id']}", {"title": "Renamed"}),
        ("PUT", f"/work-items/{story['key']}", {"title": "Renamed"}),
        ("DELETE", f"/work-items/{story['id']}", None),
        ("POST", f"/work-items/{story['id']}/comments", {"content": "Me too"}),
        ("POST", f"/work-items/{story['id']}/time-entries", {"started_at": 0, "ended_at": 60}),
        ("POST", f"/work-items/{story['id']}/timer/start", {}),
        ("POST", f"/projects/{pid}/sprints", {"name": "S2", "start_date": 0, "end_date": 1}),
        ("PATCH", f"/sprints/{b['sprint']['id']}", {"name": "Renamed"}),
        ("PATCH", f"/projects/{pid}", {"title": "Renamed"}),
        ("DELETE", f"/projects/{pid}", None),
        ("POST", f"/projects/{pid}/swim-lanes", {"status_value": "qa", "name": "QA"}),
        ("PUT", f"/projects/{pid}/members/carol", {"role": "viewer"}),
        ("PUT", f"/projects/{pid}/members/bob", {"role": "admin"}),  # no self-promotion
    ]
    for method, path, body in writes:
        assert_forbidden(await call(client, method, path, BOB, body), f"{method} {path}")

    # Nothing was written by any of them.
    again = await call(client, "GET", f"/work-items/{story['id']}", ALICE)
    assert (again.json()["title"], again.json()["version"]) == ("Story", 1)
    assert await members_of(client, pid) == {"alice": "admin", "bob": "viewer"}
    items = await call(client, "GET", f"/projects/{pid}/work-items", ALICE)
    assert [i["id"] for i in items.json()["items"]] == [story["id"]]


async def test_an_editor_changes_work_but_not_the_project(client: httpx.AsyncClient) -> None:
    b = await board(client)
    pid, story = b["project"]["id"], b["story"]
    await add_member(client, ALICE, pid, "bob", "editor")

    task = await create_item(client, BOB, pid, "task", "Bob's", parent_id=story["id"])
    assert task["created_by"] == "bob"
    changes: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("PATCH", f"/work-items/{story['key']}", {"status": "in_progress"}, 200),
        ("POST", f"/work-items/{story['id']}/comments", {"content": "On it"}, 201),
        ("POST", f"/work-items/{story['id']}/time-entries", {"started_at": 0, "ended_at": 60}, 201),
        ("POST", f"/projects/{pid}/sprints", {"name": "S2", "start_date": 0, "end_date": 1}, 201),
        ("PATCH", f"/sprints/{b['sprint']['id']}", {"goal": "Ship it"}, 200),
        (
            "POST",
            "/dependencies",
            {
                "blocking_item_id": task["id"],
                "blocked_item_id": story["id"],
                "dependency_type": "blocks",
            },
            201,
        ),
        ("DELETE", f"/work-items/{task['id']}", None, 204),
    ]
    for method, path, body, status in changes:
        response = await call(client, method, path, BOB, body)
        assert response.status_code == status, (method, path, response.text)

    lane = b["lane"]
    refused: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", f"/projects/{pid}/swim-lanes", {"status_value": "qa", "name": "QA"}),
        ("PATCH", f"/swim-lanes/{lane['id']}", {"name": "Later"}),
        ("DELETE", f"/swim-lanes/{lane['id']}", None),
        ("PUT", f"/projects/{pid}/swim-lanes/order", {"lane_ids": [lane["id"]]}),
        ("PATCH", f"/projects/{pid}", {"title": "Renamed"}),
        ("PUT", f"/projects/{pid}", {"title": "Renamed"}),
        ("DELETE", f"/projects/{pid}", None),
        ("PUT", f"/projects/{pid}/members/carol", {"role": "viewer"}),
        ("PUT", f"/projects/{pid}/members/bob", {"role": "admin"}),
        ("DELETE", f"/projects/{pid}/members/alice", None),
    ]
    for method, path, body in refused:
        assert_forbidden(await call(client, method, path, BOB, body), f"{method} {path}")
    project = await call(client, "GET", f"/projects/{pid}", ALICE)
    assert (project.json()["title"], project.json()["version"]) == (b["project"]["title"], 1)
    assert await members_of(client, pid) == {"alice": "admin", "bob": "editor"}
    lanes = await call(client, "GET", f"/projects/{pid}/swim-lanes", ALICE)
    assert len(lanes.json()) == 4

    # Another user's comment stays theirs: editing it is not "changing work".
    mine = b["comment"]
    assert_forbidden(
        await call(client, "PATCH", f"/comments/{mine['id']}", BOB, {"content": "x"}), "comment"
    )


async def test_a_non_member_gets_404_as_if_the_project_did_not_exist(
    client: httpx.AsyncClient,
) -> None:
    b = await board(client)
    pid, story, sprint = b["project"]["id"], b["story"], b["sprint"]
    await add_member(client, ALICE, pid, "bob", "viewer")  # carol is not a member

    hidden: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/projects/{pid}", None),
        ("PATCH", f"/projects/{pid}", {"title": "Mine now"}),
        ("DELETE", f"/projects/{pid}", None),
        ("GET", f"/projects/{pid}/work-items", None),
        ("POST", f"/projects/{pid}/work-items", {"item_type": "story", "title": "Planted"}),
        ("GET", f"/projects/{pid}/sprints", None),
        ("GET", f"/projects/{pid}/swim-lanes", None),
        ("GET", f"/projects/{pid}/members", None),
        ("PUT", f"/projects/{pid}/members/carol", {"role": "admin"}),
        ("DELETE", f"/projects/{pid}/members/bob", None),
        ("GET", f"/projects/{pid}/activity", None),
        ("GET", f"/work-items/{story['id']}", None),
        ("GET", f"/work-items/{story['key']}", None),
        ("PATCH", f"/work-items/{story['key']}", {"title": "Mine now"}),
        ("GET", f"/work-items/{story['key']}/comments", None),
        ("POST", f"/work-items/{story['key']}/comments", {"content": "Hello?"}),
        ("GET", f"/work-items/{story['key']}/activity", None),
        ("GET", f"/sprints/{sprint['id']}", None),
        ("PATCH", f"/sprints/{sprint['id']}", {"name": "Mine now"}),
        ("PATCH", f"/comments/{b['comment']['id']}", {"content": "Mine now"}),
        ("GET", f"/events?project_id={pid}", None),
    ]
    for method, path, body in hidden:
        response = await call(client, method, path, CAROL, body)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["code"] == "NOT_FOUND", (method, path)

    # Exactly the answer for an id that does not exist at all (only the id differs).
    theirs = (await call(client, "GET", f"/projects/{pid}", CAROL)).json()
    nothing = (await call(client, "GET", f"/projects/{MISSING}", CAROL)).json()
    assert theirs["detail"].replace(pid, MISSING) == nothing["detail"]
    assert {k for k in theirs if k != "request_id"} == {k for k in nothing if k != "request_id"}

    listed = await call(client, "GET", "/projects", CAROL)
    assert listed.json()["items"] == []
    history = await call(
        client,
        "GET",
        f"/activity?entity_type=work_item&entity_id={story['id']}",
        CAROL,
    )
    assert history.status_code == 404
    assert await members_of(client, pid) == {"alice": "admin", "bob": "viewer"}
    fresh = await call(client, "GET", f"/work-items/{story['id']}", ALICE)
    assert fresh.json()["version"] == 1


async def test_a_tenant_admin_sees_and_may_do_everything(client: httpx.AsyncClient) -> None:
    b = await board(client)
    pid = b["project"]["id"]
    root = admin_bearer(user="root")  # not a member of anything
    other = await create_project(client, bearer(user="dave"), key="DAVE")

    listed = await call(client, "GET", "/projects", root)
    assert {p["id"] for p in listed.json()["items"]} == {pid, other["id"]}
    for path in (f"/projects/{pid}", f"/projects/{pid}/members", "/activity", "/events"):
        response = await call(client, "GET", path, root)
        assert response.status_code == 200, (path, response.text)

    work: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("PATCH", f"/projects/{pid}", {"title": "Run by root"}, 200),
        ("POST", f"/projects/{pid}/swim-lanes", {"status_value": "qa", "name": "QA"}, 201),
        ("POST", f"/projects/{pid}/work-items", {"item_type": "task", "title": "Root's"}, 201),
        ("PUT", f"/projects/{pid}/members/carol", {"role": "editor"}, 200),
        ("DELETE", f"/projects/{pid}/members/carol", None, 204),
        ("PUT", f"/projects/{other['id']}/members/root", {"role": "viewer"}, 200),
        ("DELETE", f"/projects/{other['id']}", None, 204),
    ]
    for method, path, body, status in work:
        response = await call(client, method, path, root, body)
        assert response.status_code == status, (method, path, response.text)
    # A tenant admin cannot take away a project's last admin either.
    last = await call(client, "DELETE", f"/projects/{pid}/members/alice", root)
    assert last.status_code == 422

    # The claim is per tenant: in another tenant the same token holder is nobody special.
    assert (await call(client, "GET", f"/projects/{pid}", admin_bearer("globex"))).status_code == (
        404
    )


async def test_the_last_admin_can_neither_leave_nor_be_demoted(
    client: httpx.AsyncClient,
) -> None:
    pid = (await create_project(client, ALICE))["id"]
    demote = await call(client, "PUT", f"/projects/{pid}/members/alice", ALICE, {"role": "editor"})
    assert demote.status_code == 422
    assert (demote.json()["code"], demote.json()["field"]) == ("VALIDATION_ERROR", "role")
    leave = await call(client, "DELETE", f"/projects/{pid}/members/alice", ALICE)
    assert leave.status_code == 422
    assert leave.json()["field"] == "user_id"
    assert await members_of(client, pid) == {"alice": "admin"}

    # With a second admin the first may step down; then the second is the last one.
    await add_member(client, ALICE, pid, "bob", "admin")
    stepped = await call(client, "PUT", f"/projects/{pid}/members/alice", ALICE, {"role": "viewer"})
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["role"] == "viewer"
    assert (await call(client, "DELETE", f"/projects/{pid}/members/bob", BOB)).status_code == 422
    again = await call(client, "PUT", f"/projects/{pid}/members/bob", BOB, {"role": "viewer"})
    assert again.status_code == 422
    assert await members_of(client, pid) == {"alice": "viewer", "bob": "admin"}


async def test_a_member_may_leave_and_only_admins_remove_others(
    client: httpx.AsyncClient,
) -> None:
    pid = (await create_project(client, ALICE))["id"]
    await add_member(client, ALICE, pid, "bob", "editor")
    await add_member(client, ALICE, pid, "carol", "viewer")

    assert_forbidden(await call(client, "DELETE", f"/projects/{pid}/members/carol", BOB), "rm")
    left = await call(client, "DELETE", f"/projects/{pid}/members/carol", CAROL)
    assert left.status_code == 204
    assert left.content == b""
    assert (await call(client, "GET", f"/projects/{pid}", CAROL)).status_code == 404
    assert (await call(client, "GET", "/projects", CAROL)).json()["items"] == []

    removed = await call(client, "DELETE", f"/projects/{pid}/members/bob", ALICE)
    assert removed.status_code == 204
    assert (await call(client, "GET", f"/projects/{pid}/work-items", BOB)).status_code == 404
    gone = await call(client, "DELETE", f"/projects/{pid}/members/bob", ALICE)
    assert gone.status_code == 404
    assert gone.json()["code"] == "NOT_FOUND"
    assert await members_of(client, pid) == {"alice": "admin"}


async def test_setting_the_same_role_again_changes_nothing(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, ALICE))["id"]
    first = await add_member(client, ALICE, pid, "bob", "viewer")
    again = await add_member(client, ALICE, pid, "bob", "viewer")
    assert again == first
    kinds = await call(client, "GET", f"/events?project_id={pid}", ALICE)
    assert [e["kind"] for e in kinds.json()["events"]] == ["project_created", "member_added"]


async def test_member_changes_are_in_the_activity_and_the_event_stream(
    client: httpx.AsyncClient,
) -> None:
    pid = (await create_project(client, ALICE))["id"]
    await add_member(client, ALICE, pid, "bob", "viewer")
    await add_member(client, ALICE, pid, "bob", "editor")
    removed = await call(client, "DELETE", f"/projects/{pid}/members/bob", ALICE)
    assert removed.status_code == 204

    feed = await call(client, "GET", f"/projects/{pid}/activity", ALICE)
    assert feed.status_code == 200
    assert [
        (
            e["entity_type"],
            e["entity_id"],
            e["action"],
            e["field_name"],
            e["old_value"],
            e["new_value"],
            e["comment"],
            e["user_id"],
        )
        for e in feed.json()["items"]
    ] == [
        ("project", pid, "member_removed", "role", "editor", None, "bob", "alice"),
        ("project", pid, "member_updated", "role", "viewer", "editor", "bob", "alice"),
        ("project", pid, "member_added", "role", None, "viewer", "bob", "alice"),
        ("project", pid, "created", None, None, None, None, "alice"),
    ]

    stream = await call(client, "GET", f"/events?project_id={pid}", ALICE)
    assert stream.status_code == 200
    events = [e for e in stream.json()["events"] if e["kind"].startswith("member_")]
    assert [(e["kind"], e["entity_id"], e["project_id"]) for e in events] == [
        ("member_added", "bob", pid),
        ("member_updated", "bob", pid),
        ("member_removed", "bob", pid),
    ]
    added, updated, gone = (e["payload"] for e in events)
    assert (added["member"]["user_id"], added["member"]["role"]) == ("bob", "PROJECT_ROLE_VIEWER")
    assert added["user_id"] == "alice"
    assert updated["member"]["role"] == "PROJECT_ROLE_EDITOR"
    assert updated["changes"] == [
        {"field_name": "role", "old_value": "viewer", "new_value": "editor"}
    ]
    assert (gone["project_id"], gone["member_user_id"], gone["user_id"]) == (pid, "bob", "alice")


async def test_bad_member_requests_are_refused(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, ALICE))["id"]
    url = f"/projects/{pid}/members/bob"
    unknown_role = await call(client, "PUT", url, ALICE, {"role": "owner"})
    assert unknown_role.status_code == 422
    assert unknown_role.json()["field"] == "role"
    extra = await call(client, "PUT", url, ALICE, {"role": "viewer", "created_by": "mallory"})
    assert extra.status_code == 422
    assert {e["field"] for e in extra.json()["errors"]} == {"created_by"}
    missing = await call(client, "PUT", url, ALICE, {})
    assert missing.status_code == 422
    assert missing.json()["field"] == "role"
    too_long = await call(client, "PUT", f"/projects/{pid}/members/{'u' * 256}", ALICE, {})
    assert too_long.status_code == 422
    no_project = await call(
        client, "PUT", f"/projects/{MISSING}/members/bob", ALICE, {"role": "viewer"}
    )
    assert no_project.status_code == 404
    assert await members_of(client, pid) == {"alice": "admin"}


async def test_a_demoted_member_can_still_stop_their_timer(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    await add_member(client, bearer(), project["id"], "bob", "editor")
    started = await client.post(
        f"{API}/work-items/{item['id']}/timer/start", json={}, headers=bearer(user="bob")
    )
    entry = started.json()["time_entry"]
    await add_member(client, bearer(), project["id"], "bob", "viewer")
    stopped = await client.post(
        f"{API}/time-entries/{entry['id']}/stop", headers=bearer(user="bob")
    )
    assert stopped.status_code == 200
    assert stopped.json()["ended_at"] is not None


async def test_removing_a_member_stops_their_timer_in_the_project(
    client: httpx.AsyncClient,
) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    await add_member(client, bearer(), project["id"], "bob", "editor")
    await client.post(
        f"{API}/work-items/{item['id']}/timer/start", json={}, headers=bearer(user="bob")
    )
    removed = await client.delete(f"{API}/projects/{project['id']}/members/bob", headers=bearer())
    assert removed.status_code == 204
    running = await client.get(f"{API}/time-entries/running", headers=bearer(user="bob"))
    assert running.json()["time_entry"] is None
