"""The project snapshot over REST: what it shows, in both formats, within its budget."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project

OWNER = bearer()
DAY = 86_400


async def _ok(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    return response


async def _board(client: httpx.AsyncClient) -> dict[str, Any]:
    """PONE: an epic with a story and two tasks (one done), a blocked story, a sprint."""
    pid = (await create_project(client, OWNER, key="PONE", title="Project one"))["id"]
    sprint = (
        await client.post(
            f"{API}/projects/{pid}/sprints",
            json={"name": "Sprint 1", "start_date": 0, "end_date": 4_000_000_000, "goal": "Ship"},
            headers=OWNER,
        )
    ).json()
    await _ok(
        await client.patch(
            f"{API}/sprints/{sprint['id']}", json={"status": "active"}, headers=OWNER
        )
    )
    epic = await create_item(client, OWNER, pid, "epic", "Checkout")
    story = await create_item(
        client,
        OWNER,
        pid,
        "story",
        "Pay by card",
        parent_id=epic["id"],
        assignee_id="bob",
        story_points=5,
        sprint_id=sprint["id"],
    )
    await create_item(
        client,
        OWNER,
        pid,
        "task",
        "Card form",
        parent_id=story["id"],
        status="done",
        story_points=2,
        sprint_id=sprint["id"],
    )
    await create_item(client, OWNER, pid, "task", "Receipt", parent_id=story["id"])
    waiting = await create_item(client, OWNER, pid, "story", "Refunds", priority="high")
    link = await client.post(
        f"{API}/dependencies",
        json={
            "blocking_item_id": story["id"],
            "blocked_item_id": waiting["id"],
            "dependency_type": "blocks",
        },
        headers=OWNER,
    )
    assert link.status_code == 201, link.text
    return {"pid": pid, "sprint": sprint, "story": story}


async def test_the_markdown_snapshot_shows_the_state_of_the_project(
    client: httpx.AsyncClient,
) -> None:
    await _board(client)
    response = await _ok(await client.get(f"{API}/projects/pone/snapshot", headers=OWNER))
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# PONE · Project one\n")
    assert "4 open of 5 items" in text
    assert "## Active sprint: Sprint 1" in text
    assert "2 of 7 points done · 1 of 2 items done" in text
    assert "Goal: Ship" in text
    lines = text.splitlines()
    work = lines[lines.index("## Work (epic > story > task)") + 1 :]
    assert work[:4] == [
        "- [epic] PONE-1 Checkout — backlog · medium",
        "  - [story] PONE-2 Pay by card — backlog · medium · 5 pts · @bob",
        "    - [task] PONE-3 Card form — done · medium · 2 pts",
        "    - [task] PONE-4 Receipt — backlog · medium",
    ]
    assert "- PONE-5 Refunds — backlog · blocked by PONE-2" in lines
    ready = lines[lines.index("## Ready to start") + 1 :]
    assert ready[:2] == ["- PONE-2 Pay by card — medium · unblocks 1", "- PONE-4 Receipt — medium"]
    assert any(line.endswith("alice created PONE-5") for line in lines)
    assert "Left out" not in text
    assert int(response.headers["estimated-tokens"]) == -(-len(text) // 4)


async def test_the_json_snapshot_has_the_same_parts(client: httpx.AsyncClient) -> None:
    board = await _board(client)
    response = await _ok(
        await client.get(
            f"{API}/projects/{board['pid']}/snapshot", params={"format": "json"}, headers=OWNER
        )
    )
    assert response.headers["content-type"] == "application/json"
    doc = response.json()
    assert doc["project"]["key"] == "PONE"
    assert doc["sprint"]["points_done"] == 2
    assert [w["key"] for w in doc["work"]] == ["PONE-1", "PONE-2", "PONE-3", "PONE-4", "PONE-5"]
    assert doc["work"][2]["done"] is True
    assert doc["work"][2]["parent"] == "PONE-2"
    assert doc["blocked"] == [
        {"key": "PONE-5", "title": "Refunds", "status": "backlog", "blocked_by": ["PONE-2"]}
    ]
    assert [r["key"] for r in doc["ready"]] == ["PONE-2", "PONE-4"]
    assert doc["activity"][0]["action"] == "created"
    assert doc["omitted"] == {}
    assert doc["estimated_tokens"] == -(-len(response.text) // 4)


@pytest.mark.parametrize("fmt", ["markdown", "json"])
async def test_a_small_budget_leaves_out_whole_entries_least_important_first(
    client: httpx.AsyncClient, fmt: str
) -> None:
    board = await _board(client)
    for n in range(30):  # plenty of activity to leave out
        await _ok(
            await client.patch(
                f"{API}/work-items/{board['story']['id']}",
                json={"description": f"Revision {n} of the description"},
                headers=OWNER,
            )
        )
    full = await _ok(
        await client.get(f"{API}/projects/PONE/snapshot", params={"format": fmt}, headers=OWNER)
    )
    budget = len(full.text) // 4 // 2
    small = await _ok(
        await client.get(
            f"{API}/projects/PONE/snapshot",
            params={"format": fmt, "max_tokens": max(budget, 100)},
            headers=OWNER,
        )
    )
    assert len(small.text) <= max(budget, 100) * 4
    if fmt == "json":
        doc = json.loads(small.text)  # still one valid document
        assert doc["omitted"]["activity"] > 0
        assert doc["blocked"], "activity goes before the blocked work"
        assert doc["ready"], "activity goes before the ready work"
        assert len(doc["activity"]) < 30
    else:
        assert "_Left out to fit" in small.text
        assert "activity entries" in small.text
        kept = set(small.text.splitlines())
        # Whole lines only: every entry line is one of the full snapshot's lines.
        assert kept <= set(full.text.splitlines()) | {small.text.splitlines()[-1]}


async def test_bad_parameters_and_strangers(client: httpx.AsyncClient) -> None:
    board = await _board(client)
    for params, field in (({"format": "html"}, "format"), ({"max_tokens": 10}, "max_tokens")):
        response = await client.get(f"{API}/projects/PONE/snapshot", params=params, headers=OWNER)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field
    stranger = await client.get(f"{API}/projects/PONE/snapshot", headers=bearer(user="eve"))
    assert stranger.status_code == 404
    await add_member(client, OWNER, board["pid"], "vic", "viewer")
    await _ok(await client.get(f"{API}/projects/PONE/snapshot", headers=bearer(user="vic")))


async def test_openapi_describes_the_snapshot(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    op = doc["paths"][f"{API}/projects/{{project_id}}/snapshot"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"project_id", "format", "max_tokens"}
    assert params["max_tokens"]["schema"]["default"] == 4000
    assert (
        params["max_tokens"]["schema"]["minimum"],
        params["max_tokens"]["schema"]["maximum"],
    ) == (
        100,
        100_000,
    )
    formats = params["format"]["schema"]
    formats = (
        doc["components"]["schemas"][formats["$ref"].rsplit("/", 1)[-1]]
        if "$ref" in formats
        else formats
    )
    assert formats["enum"] == ["markdown", "json"]
    assert set(op["responses"]["200"]["content"]) == {"text/markdown", "application/json"}
