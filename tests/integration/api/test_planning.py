"""Ready work and the critical path over REST."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project

OWNER = bearer()


async def _link(
    client: httpx.AsyncClient,
    blocking: dict[str, Any],
    blocked: dict[str, Any],
    kind: str = "blocks",
) -> str:
    response = await client.post(
        f"{API}/dependencies",
        json={
            "blocking_item_id": blocking["id"],
            "blocked_item_id": blocked["id"],
            "dependency_type": kind,
        },
        headers=OWNER,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _patch(client: httpx.AsyncClient, item: dict[str, Any], **fields: Any) -> None:
    response = await client.patch(f"{API}/work-items/{item['id']}", json=fields, headers=OWNER)
    assert response.status_code == 200, response.text


async def _sprint(client: httpx.AsyncClient, pid: str, name: str, active: bool) -> str:
    response = await client.post(
        f"{API}/projects/{pid}/sprints",
        json={"name": name, "start_date": 0, "end_date": 86_400},
        headers=OWNER,
    )
    assert response.status_code == 201, response.text
    sprint_id = str(response.json()["id"])
    if active:
        started = await client.patch(
            f"{API}/sprints/{sprint_id}", json={"status": "active"}, headers=OWNER
        )
        assert started.status_code == 200, started.text
    return sprint_id


async def _ready(
    client: httpx.AsyncClient, project: str = "PONE", headers: dict[str, str] = OWNER, **params: Any
) -> dict[str, Any]:
    response = await client.get(f"{API}/projects/{project}/ready", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _titles(answer: dict[str, Any]) -> list[str]:
    return [entry["title"] for entry in answer["items"]]


async def test_ready_work_is_ordered_by_priority_then_active_sprint_then_position(
    client: httpx.AsyncClient,
) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    active = await _sprint(client, pid, "Now", active=True)
    planned = await _sprint(client, pid, "Later", active=False)
    await create_item(client, OWNER, pid, "epic", "An epic")  # epics are never ready work
    await create_item(client, OWNER, pid, "story", "low", priority="low")
    await create_item(client, OWNER, pid, "story", "medium backlog", position=1)
    await create_item(client, OWNER, pid, "story", "medium planned", sprint_id=planned, position=0)
    await create_item(
        client, OWNER, pid, "task", "medium active late", sprint_id=active, position=9
    )
    await create_item(client, OWNER, pid, "story", "medium active", sprint_id=active, position=2)
    await create_item(client, OWNER, pid, "story", "critical", priority="critical")
    await create_item(client, OWNER, pid, "story", "high", priority="high")
    await create_item(client, OWNER, pid, "story", "finished", priority="critical", status="done")
    answer = await _ready(client)
    assert _titles(answer) == [
        "critical",
        "high",
        "medium active",
        "medium active late",
        "medium planned",
        "medium backlog",
        "low",
    ]
    assert answer["total"] == 7
    first = answer["items"][0]
    assert (first["blocked_by"], first["unblocks"]) == ([], 0)
    assert (first["project_id"], first["key"], first["version"]) == (pid, "PONE-7", 1)
    # Filters and the limit; total counts every match, not just the page.
    assert _titles(await _ready(client, sprint_id=active)) == [
        "medium active",
        "medium active late",
    ]
    page = await _ready(client, limit=2)
    assert (_titles(page), page["total"]) == (["critical", "high"], 7)


async def test_only_open_blockers_hold_work_back(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    other = (await create_project(client, OWNER, key="PTWO"))["id"]
    blocker = await create_item(client, OWNER, pid, "story", "blocker")
    waiting = await create_item(client, OWNER, pid, "story", "waiting")
    shared = await create_item(client, OWNER, pid, "story", "shared")
    second = await create_item(client, OWNER, pid, "story", "second blocker")
    related = await create_item(client, OWNER, pid, "story", "related")
    foreign = await create_item(client, OWNER, other, "story", "foreign blocker")
    abroad = await create_item(client, OWNER, pid, "story", "blocked from abroad")
    await _link(client, blocker, waiting)
    await _link(client, blocker, shared)
    await _link(client, second, shared)
    await _link(client, blocker, related, "relates_to")  # never blocks
    await _link(client, foreign, abroad)  # a blocker in another project still blocks
    answer = await _ready(client)
    assert _titles(answer) == ["blocker", "second blocker", "related"]
    unblocks = {e["title"]: e["unblocks"] for e in answer["items"]}
    # `blocker` is the last open blocker of `waiting` only; `shared` also waits on `second`.
    assert unblocks == {"blocker": 1, "second blocker": 0, "related": 0}

    await _patch(client, blocker, status="done")
    await _patch(client, foreign, status="done")  # done in its own project's lanes
    answer = await _ready(client)
    assert _titles(answer) == ["waiting", "second blocker", "related", "blocked from abroad"]
    assert {e["title"]: e["unblocks"] for e in answer["items"]}["second blocker"] == 1


async def _released_lane(client: httpx.AsyncClient, project_id: str) -> None:
    """A "released" lane after Done in the project."""
    lane = await client.post(
        f"{API}/projects/{project_id}/swim-lanes",
        json={"status_value": "released", "name": "Released"},
        headers=OWNER,
    )
    assert lane.status_code == 201, lane.text


async def test_a_lane_after_done_counts_as_done(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    await _released_lane(client, pid)
    blocker = await create_item(client, OWNER, pid, "story", "shipped", status="released")
    waiting = await create_item(client, OWNER, pid, "story", "next")
    await _link(client, blocker, waiting)
    assert _titles(await _ready(client)) == ["next"]


async def test_links_across_projects_follow_each_items_own_lanes(
    client: httpx.AsyncClient,
) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    other = (await create_project(client, OWNER, key="PTWO"))["id"]
    await _released_lane(client, other)
    # "released" is a lane after Done in PTWO only: there it is done, in PONE no such lane.
    shipped = await create_item(client, OWNER, other, "story", "shipped", status="released")
    waiting = await create_item(client, OWNER, pid, "story", "waits on shipped")
    await _link(client, shipped, waiting)
    helper = await create_item(client, OWNER, pid, "story", "helper")
    abroad = await create_item(client, OWNER, other, "story", "waits abroad")
    await _link(client, helper, abroad)  # an item of another project still counts as unblocked
    answer = await _ready(client)
    assert _titles(answer) == ["waits on shipped", "helper"]
    assert {e["title"]: e["unblocks"] for e in answer["items"]} == {
        "waits on shipped": 0,
        "helper": 1,
    }
    # The other project's ready work: its item waits on an open item of PONE.
    assert _titles(await _ready(client, "PTWO")) == []
    await _patch(client, helper, status="in_review")  # a lane before Done: still open
    assert _titles(await _ready(client, "PTWO")) == []
    await _patch(client, helper, status="done")
    assert _titles(await _ready(client, "PTWO")) == ["waits abroad"]


async def test_removed_links_neither_block_nor_chain(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    other = (await create_project(client, OWNER, key="PTWO"))["id"]
    first = await create_item(client, OWNER, pid, "story", "first", story_points=2)
    then = await create_item(client, OWNER, pid, "story", "then", story_points=2)
    last = await create_item(client, OWNER, pid, "story", "last", story_points=2)
    before = await create_item(client, OWNER, other, "story", "before", story_points=20)
    after = await create_item(client, OWNER, other, "story", "after", story_points=20)
    link = await _link(client, first, then)
    await _link(client, then, last)
    await _link(client, before, first)  # a blocker abroad holds `first` back ...
    await _link(client, last, after)  # ... but a chain stays inside its project
    chain = await client.get(f"{API}/projects/PONE/critical-path", headers=OWNER)
    assert [i["title"] for i in chain.json()["items"]] == ["first", "then", "last"]
    assert chain.json()["total"] == 6
    assert _titles(await _ready(client)) == []
    removed = await client.delete(f"{API}/dependencies/{link}", headers=OWNER)
    assert removed.status_code == 204, removed.text
    answer = await _ready(client)
    assert _titles(answer) == ["then"]
    assert answer["items"][0]["unblocks"] == 1
    chain = await client.get(f"{API}/projects/PONE/critical-path", headers=OWNER)
    assert ([i["title"] for i in chain.json()["items"]], chain.json()["total"]) == (
        ["then", "last"],
        4,
    )


async def test_viewers_read_by_key_and_strangers_get_404(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    await create_item(client, OWNER, pid, "task", "work", assignee_id="vic")
    await create_item(client, OWNER, pid, "task", "not mine")
    await add_member(client, OWNER, pid, "vic", "viewer")
    viewer = bearer(user="vic")
    assert _titles(await _ready(client, "pone", viewer, assignee_id="vic")) == ["work"]
    path = await client.get(f"{API}/projects/pone/critical-path", headers=viewer)
    assert path.status_code == 200
    for url in (f"{API}/projects/PONE/ready", f"{API}/projects/{pid}/critical-path"):
        stranger = await client.get(url, headers=bearer(user="eve"))
        assert stranger.status_code == 404, stranger.text
    empty = (await create_project(client, OWNER, key="EMPTY"))["id"]
    assert await _ready(client, empty) == {"items": [], "total": 0}
    none = await client.get(f"{API}/projects/{empty}/critical-path", headers=OWNER)
    assert none.json() == {"items": [], "total": 0}


async def test_the_critical_path_is_the_heaviest_open_chain(client: httpx.AsyncClient) -> None:
    pid = (await create_project(client, OWNER, key="PONE"))["id"]
    made = {}
    for name, points in (("a", 3), ("b", None), ("c", 5), ("d", 1), ("e", 2), ("big", 8)):
        made[name] = await create_item(client, OWNER, pid, "story", name, story_points=points)
    # a(3) → b(no points: 1) → c(5) = 9 beats e(2) → d(1) → c(5) = 8 and big(8) alone.
    await _link(client, made["a"], made["b"])
    await _link(client, made["b"], made["c"])
    await _link(client, made["e"], made["d"])
    await _link(client, made["d"], made["c"])

    async def path() -> tuple[list[str], int]:
        response = await client.get(f"{API}/projects/PONE/critical-path", headers=OWNER)
        assert response.status_code == 200, response.text
        body = response.json()
        return [item["title"] for item in body["items"]], body["total"]

    assert await path() == (["a", "b", "c"], 9)
    await _patch(client, made["b"], story_points=0)
    # Zero points is a weight, not "unset": now three chains weigh 8, and ties go to the
    # items made first (the smaller ids), the same way every time.
    assert await path() == (["a", "b", "c"], 8)
    await _patch(client, made["c"], status="done")  # a done item breaks its chains
    assert await path() == (["big"], 8)
    await _patch(client, made["big"], status="in_progress")  # in progress is still open
    assert await path() == (["big"], 8)


async def test_openapi_describes_ready_work_and_the_critical_path(
    client: httpx.AsyncClient,
) -> None:
    doc = (await client.get("/openapi.json")).json()
    ready = doc["paths"][f"{API}/projects/{{project_id}}/ready"]["get"]
    assert {p["name"] for p in ready["parameters"]} == {
        "project_id",
        "assignee_id",
        "sprint_id",
        "limit",
    }
    assert ready["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReadyWork"
    }
    assert {"items", "total"} <= set(doc["components"]["schemas"]["ReadyWork"]["properties"])
    assert {"key", "title", "blocked_by", "unblocks"} <= set(
        doc["components"]["schemas"]["ReadyItem"]["properties"]
    )
    path = doc["paths"][f"{API}/projects/{{project_id}}/critical-path"]["get"]
    assert path["security"] == [{"bearer": []}]
    assert "404" in path["responses"]
