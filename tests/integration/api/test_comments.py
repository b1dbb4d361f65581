"""Comments over REST on real SQLite files: authorship, soft delete, activity, tenancy."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project
from tests.tenantdb import TenantDb


def tenant_rows(db: TenantDb, query: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of the acme tenant, read behind the server's back."""
    return db.rows(query, *args)


async def new_item(client: httpx.AsyncClient) -> dict[str, Any]:
    """A story in a fresh project of alice's, with bob as an editor."""
    project = await create_project(client, bearer())
    await add_member(client, bearer(), project["id"], "bob")
    return await create_item(client, bearer(), project["id"])


async def comment_on(
    client: httpx.AsyncClient, item: str, content: str, user: str = "alice"
) -> dict[str, Any]:
    """Post a comment and return its JSON."""
    response = await client.post(
        f"{API}/work-items/{item}/comments", json={"content": content}, headers=bearer(user=user)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_and_list_oldest_first_by_id_or_key(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item = await new_item(client)
    first = await comment_on(client, item["key"], "First **thought**")
    second = await comment_on(client, item["id"], "Second", user="bob")
    assert first["work_item_id"] == item["id"]
    assert first["project_id"] == item["project_id"]
    assert (first["created_by"], second["created_by"]) == ("alice", "bob")
    listed = await client.get(f"{API}/work-items/{item['key']}/comments", headers=bearer())
    assert listed.status_code == 200
    assert listed.json() == {"items": [first, second], "next_cursor": None}
    logged = tenant_rows(
        db,
        "SELECT entity_type, action, project_id, user_id FROM pm_activity_log WHERE entity_id = ?",
        first["id"],
    )
    assert logged == [("comment", "created", item["project_id"], "alice")]


async def test_pagination_walks_every_comment_once(client: httpx.AsyncClient) -> None:
    item = await new_item(client)
    made = [(await comment_on(client, item["id"], f"c{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await client.get(
            f"{API}/work-items/{item['id']}/comments", params=params, headers=bearer()
        )
        seen += [c["id"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == made


async def test_author_edits_and_the_change_is_logged_old_to_new(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item = await new_item(client)
    comment = await comment_on(client, item["id"], "Draft")
    url = f"{API}/comments/{comment['id']}"
    patched = await client.patch(url, json={"content": "Final"}, headers=bearer())
    assert patched.status_code == 200
    assert patched.json()["content"] == "Final"
    put = await client.put(url, json={"content": "Final, really"}, headers=bearer())
    assert put.status_code == 200
    listed = await client.get(f"{API}/work-items/{item['id']}/comments", headers=bearer())
    assert [c["content"] for c in listed.json()["items"]] == ["Final, really"]
    changes = tenant_rows(
        db,
        "SELECT field_name, old_value, new_value FROM pm_activity_log "
        "WHERE entity_id = ? AND action = 'updated' ORDER BY id",
        comment["id"],
    )
    assert changes == [("content", "Draft", "Final"), ("content", "Final", "Final, really")]


async def test_only_the_author_may_edit_or_delete(client: httpx.AsyncClient, db: TenantDb) -> None:
    item = await new_item(client)
    comment = await comment_on(client, item["id"], "Mine")
    url = f"{API}/comments/{comment['id']}"
    attempts = [
        await client.patch(url, json={"content": "Hijacked"}, headers=bearer(user="bob")),
        await client.put(url, json={"content": "Hijacked"}, headers=bearer(user="bob")),
        await client.delete(url, headers=bearer(user="bob")),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "AUTHORIZATION_FAILED"
    assert tenant_rows(
        db, "SELECT content, deleted_at FROM pm_comments WHERE id = ?", comment["id"]
    ) == [("Mine", None)]
    assert tenant_rows(
        db, "SELECT action FROM pm_activity_log WHERE entity_id = ?", comment["id"]
    ) == [("created",)]


async def test_blank_content_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item = await new_item(client)
    refused = await client.post(
        f"{API}/work-items/{item['id']}/comments", json={"content": "  \n "}, headers=bearer()
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "VALIDATION_ERROR"
    assert refused.json()["field"] == "content"
    assert tenant_rows(db, "SELECT COUNT(*) FROM pm_comments") == [(0,)]
    assert tenant_rows(
        db, "SELECT COUNT(*) FROM pm_activity_log WHERE entity_type = 'comment'"
    ) == [(0,)]
    comment = await comment_on(client, item["id"], "Something")
    blank_edit = await client.patch(
        f"{API}/comments/{comment['id']}", json={"content": ""}, headers=bearer()
    )
    assert blank_edit.status_code == 422
    assert blank_edit.json()["field"] == "content"
    assert tenant_rows(db, "SELECT content FROM pm_comments WHERE id = ?", comment["id"]) == [
        ("Something",)
    ]


async def test_delete_is_soft_and_hides_the_comment(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item = await new_item(client)
    comment = await comment_on(client, item["id"], "Soon gone")
    url = f"{API}/comments/{comment['id']}"
    deleted = await client.delete(url, headers=bearer())
    assert deleted.status_code == 204
    assert deleted.content == b""
    listed = await client.get(f"{API}/work-items/{item['id']}/comments", headers=bearer())
    assert listed.json()["items"] == []
    assert (await client.patch(url, json={"content": "x"}, headers=bearer())).status_code == 404
    assert (await client.delete(url, headers=bearer())).status_code == 404
    rows = tenant_rows(db, "SELECT deleted_at FROM pm_comments WHERE id = ?", comment["id"])
    assert rows[0][0] is not None
    assert tenant_rows(
        db,
        "SELECT action FROM pm_activity_log WHERE entity_id = ? ORDER BY id",
        comment["id"],
    ) == [("created",), ("deleted",)]


async def test_missing_work_item_or_comment_is_404(client: httpx.AsyncClient) -> None:
    missing = [
        await client.get(f"{API}/work-items/NOPE-1/comments", headers=bearer()),
        await client.post(
            f"{API}/work-items/nope/comments", json={"content": "x"}, headers=bearer()
        ),
        await client.patch(f"{API}/comments/nope", json={"content": "x"}, headers=bearer()),
        await client.delete(f"{API}/comments/nope", headers=bearer()),
    ]
    for response in missing:
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"


async def test_comments_of_a_deleted_work_item_are_gone(client: httpx.AsyncClient) -> None:
    item = await new_item(client)
    comment = await comment_on(client, item["id"], "On a doomed item")
    assert (
        await client.delete(f"{API}/work-items/{item['id']}", headers=bearer())
    ).status_code == 204
    edit = await client.patch(
        f"{API}/comments/{comment['id']}", json={"content": "x"}, headers=bearer()
    )
    assert edit.status_code == 404
    listed = await client.get(f"{API}/work-items/{item['id']}/comments", headers=bearer())
    assert listed.status_code == 404


async def test_another_tenant_cannot_see_or_touch_comments(client: httpx.AsyncClient) -> None:
    item = await new_item(client)
    comment = await comment_on(client, item["id"], "Private")
    other = bearer(tenant="other")
    attempts = [
        await client.get(f"{API}/work-items/{item['id']}/comments", headers=other),
        await client.post(
            f"{API}/work-items/{item['key']}/comments", json={"content": "x"}, headers=other
        ),
        await client.patch(f"{API}/comments/{comment['id']}", json={"content": "x"}, headers=other),
        await client.delete(f"{API}/comments/{comment['id']}", headers=other),
    ]
    assert [r.status_code for r in attempts] == [404, 404, 404, 404]
    listed = await client.get(f"{API}/work-items/{item['id']}/comments", headers=bearer())
    assert [c["content"] for c in listed.json()["items"]] == ["Private"]


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    item = await new_item(client)
    response = await client.post(
        f"{API}/work-items/{item['id']}/comments",
        json={"content": "x", "created_by": "mallory"},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "created_by"
