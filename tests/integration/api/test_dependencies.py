"""Dependencies over REST on real SQLite files: blocks never cycles, relates_to never blocks."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer
from tests.helpers import API, create_item, create_project
from tests.tenantdb import TenantDb


def tenant_rows(db: TenantDb, query: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of the acme tenant, read behind the server's back."""
    return db.rows(query, *args)


async def items(client: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    """`count` stories in a fresh project."""
    project = await create_project(client, bearer())
    return [
        await create_item(client, bearer(), project["id"], title=f"Item {i}") for i in range(count)
    ]


async def link(
    client: httpx.AsyncClient, blocking: str, blocked: str, kind: str = "blocks"
) -> httpx.Response:
    """POST /dependencies."""
    body = {"blocking_item_id": blocking, "blocked_item_id": blocked, "dependency_type": kind}
    return await client.post(f"{API}/dependencies", json=body, headers=bearer())


async def deps_of(client: httpx.AsyncClient, item: str) -> dict[str, list[str]]:
    """The ids of an item's dependencies, by role."""
    response = await client.get(f"{API}/work-items/{item}/dependencies", headers=bearer())
    assert response.status_code == 200, response.text
    return {role: [d["id"] for d in deps] for role, deps in response.json().items()}


def live_dependencies(db: TenantDb) -> int:
    """How many live dependency rows acme has."""
    return int(
        tenant_rows(db, "SELECT COUNT(*) FROM pm_dependencies WHERE deleted_at IS NULL")[0][0]
    )


def dependency_activity(db: TenantDb) -> list[tuple[Any, ...]]:
    """Every dependency activity row: (action, project_id, comment)."""
    return tenant_rows(
        db,
        "SELECT action, project_id, comment FROM pm_activity_log "
        "WHERE entity_type = 'dependency' ORDER BY id",
    )


async def test_blocks_shows_on_both_sides(client: httpx.AsyncClient, db: TenantDb) -> None:
    a, b = await items(client, 2)
    created = await link(client, a["id"], b["id"])
    assert created.status_code == 201
    dep = created.json()
    assert dep["blocking_item_id"] == a["id"]
    assert dep["blocked_item_id"] == b["id"]
    assert dep["dependency_type"] == "blocks"
    assert dep["created_by"] == "alice"
    assert await deps_of(client, b["key"]) == {
        "blocking": [dep["id"]],
        "blocked": [],
        "related": [],
    }
    assert await deps_of(client, a["id"]) == {"blocking": [], "blocked": [dep["id"]], "related": []}
    assert dependency_activity(db) == [
        ("created", a["project_id"], f"{a['key']} blocks {b['key']}")
    ]


async def test_relates_to_is_symmetric_and_never_blocks(client: httpx.AsyncClient) -> None:
    a, b = await items(client, 2)
    low, high = sorted((a["id"], b["id"]))
    created = await link(client, high, low, "relates_to")
    assert created.status_code == 201
    dep = created.json()
    assert (dep["blocking_item_id"], dep["blocked_item_id"]) == (low, high)
    for item in (a, b):
        assert await deps_of(client, item["id"]) == {
            "blocking": [],
            "blocked": [],
            "related": [dep["id"]],
        }


async def test_relates_to_links_are_not_followed_when_looking_for_cycles(
    client: httpx.AsyncClient,
) -> None:
    a, b, c = await items(client, 3)
    assert (await link(client, a["id"], b["id"])).status_code == 201
    assert (await link(client, b["id"], c["id"], "relates_to")).status_code == 201
    assert (await link(client, c["id"], a["id"])).status_code == 201


async def test_an_item_cannot_depend_on_itself(client: httpx.AsyncClient, db: TenantDb) -> None:
    (a,) = await items(client, 1)
    for kind in ("blocks", "relates_to"):
        response = await link(client, a["id"], a["id"], kind)
        assert response.status_code == 422
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert response.json()["field"] == "blocked_item_id"
    assert live_dependencies(db) == 0
    assert dependency_activity(db) == []


async def test_one_dependency_per_pair_in_either_direction(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    a, b = await items(client, 2)
    first = (await link(client, a["id"], b["id"])).json()
    for blocking, blocked, kind in (
        (a, b, "blocks"),
        (b, a, "blocks"),
        (a, b, "relates_to"),
        (b, a, "relates_to"),
    ):
        response = await link(client, blocking["id"], blocked["id"], kind)
        assert response.status_code == 409
        assert response.json()["code"] == "CONFLICT"
        assert response.json()["current"]["id"] == first["id"]
    assert live_dependencies(db) == 1
    assert len(dependency_activity(db)) == 1


async def test_a_transitive_cycle_is_refused(client: httpx.AsyncClient, db: TenantDb) -> None:
    a, b, c = await items(client, 3)
    a_blocks_b = (await link(client, a["id"], b["id"])).json()
    assert (await link(client, b["id"], c["id"])).status_code == 201
    cycle = await link(client, c["id"], a["id"])
    assert cycle.status_code == 422
    assert cycle.json()["code"] == "VALIDATION_ERROR"
    assert cycle.json()["field"] == "blocked_item_id"
    assert "cycle" in cycle.json()["detail"]
    assert live_dependencies(db) == 2
    assert [row[0] for row in dependency_activity(db)] == ["created", "created"]
    assert await deps_of(client, a["id"]) == {
        "blocking": [],
        "blocked": [a_blocks_b["id"]],
        "related": [],
    }


async def test_missing_items_are_invalid_on_their_field(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    (a,) = await items(client, 1)
    for blocking, blocked, field in (
        ("nope", a["id"], "blocking_item_id"),
        (a["id"], "nope", "blocked_item_id"),
    ):
        response = await link(client, blocking, blocked)
        assert response.status_code == 422
        assert response.json()["field"] == field
    bad_type = await link(client, a["id"], a["id"], "duplicates")
    assert bad_type.status_code == 422
    assert bad_type.json()["field"] == "dependency_type"
    assert live_dependencies(db) == 0


async def test_items_of_different_projects_can_be_linked(client: httpx.AsyncClient) -> None:
    (a,) = await items(client, 1)
    other = await create_project(client, bearer(), key="PTWO")
    b = await create_item(client, bearer(), other["id"])
    created = await link(client, b["id"], a["id"])
    assert created.status_code == 201
    assert (await deps_of(client, a["id"]))["blocking"] == [created.json()["id"]]


async def test_delete_unlinks_and_the_pair_can_be_linked_again(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    a, b = await items(client, 2)
    dep = (await link(client, a["id"], b["id"])).json()
    url = f"{API}/dependencies/{dep['id']}"
    deleted = await client.delete(url, headers=bearer())
    assert deleted.status_code == 204
    assert await deps_of(client, a["id"]) == {"blocking": [], "blocked": [], "related": []}
    assert (await client.delete(url, headers=bearer())).status_code == 404
    assert [row[:2] for row in dependency_activity(db)] == [
        ("created", a["project_id"]),
        ("deleted", a["project_id"]),
    ]
    # The reverse direction is free now that the first link is gone.
    assert (await link(client, b["id"], a["id"])).status_code == 201


async def test_deleting_a_work_item_removes_its_dependencies(client: httpx.AsyncClient) -> None:
    a, b = await items(client, 2)
    assert (await link(client, a["id"], b["id"])).status_code == 201
    assert (await client.delete(f"{API}/work-items/{a['id']}", headers=bearer())).status_code == 204
    assert await deps_of(client, b["id"]) == {"blocking": [], "blocked": [], "related": []}


async def test_another_tenant_gets_404_and_cannot_link_our_items(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    a, b = await items(client, 2)
    dep = (await link(client, a["id"], b["id"])).json()
    other = bearer(tenant="other")
    listed = await client.get(f"{API}/work-items/{a['id']}/dependencies", headers=other)
    assert listed.status_code == 404
    deleted = await client.delete(f"{API}/dependencies/{dep['id']}", headers=other)
    assert deleted.status_code == 404
    assert deleted.json()["code"] == "NOT_FOUND"
    body = {"blocking_item_id": b["id"], "blocked_item_id": a["id"], "dependency_type": "blocks"}
    foreign = await client.post(f"{API}/dependencies", json=body, headers=other)
    assert foreign.status_code == 422
    assert foreign.json()["field"] == "blocking_item_id"
    assert live_dependencies(db) == 1
