"""Idempotency-Key: a retry returns the first answer and writes nothing new."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import bearer
from tests.helpers import API, create_project
from tests.tenantdb import TenantDb


def _count(db: TenantDb, table: str, tenant: str = "acme") -> int:
    return int(db.rows(f"SELECT COUNT(*) FROM {table}", tenant=tenant)[0][0])  # noqa: S608


async def test_retry_replays_first_response_without_writing(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}/work-items"
    headers = {**bearer(), "Idempotency-Key": "create-1"}
    body = {"item_type": "story", "title": "Once"}
    first = await client.post(url, json=body, headers=headers)
    items, log = _count(db, "pm_work_items"), _count(db, "pm_activity_log")
    second = await client.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert (_count(db, "pm_work_items"), _count(db, "pm_activity_log")) == (
        items,
        log,
    )


async def test_same_key_different_body_is_422(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}/work-items"
    headers = {**bearer(), "Idempotency-Key": "k"}
    await client.post(url, json={"item_type": "story", "title": "A"}, headers=headers)
    other = await client.post(url, json={"item_type": "story", "title": "B"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"


async def test_keys_are_scoped_to_user_and_tenant(client: httpx.AsyncClient) -> None:
    body = {"key": "SAME", "title": "x"}
    alice = await client.post(
        f"{API}/projects", json=body, headers={**bearer("acme", "alice"), "Idempotency-Key": "k1"}
    )
    bob = await client.post(
        f"{API}/projects",
        json={"key": "BOBS", "title": "x"},
        headers={**bearer("acme", "bob"), "Idempotency-Key": "k1"},
    )
    other_tenant = await client.post(
        f"{API}/projects", json=body, headers={**bearer("globex", "alice"), "Idempotency-Key": "k1"}
    )
    assert alice.status_code == bob.status_code == other_tenant.status_code == 201
    assert len({alice.json()["id"], bob.json()["id"], other_tenant.json()["id"]}) == 3


async def test_failed_request_is_not_remembered(client: httpx.AsyncClient) -> None:
    headers = {**bearer(), "Idempotency-Key": "retry-after-fix"}
    bad = await client.post(
        f"{API}/projects", json={"key": "bad key", "title": "x"}, headers=headers
    )
    assert bad.status_code == 422
    # The same key may be used again once the first attempt wrote nothing.
    good = await client.post(f"{API}/projects", json={"key": "GOOD", "title": "x"}, headers=headers)
    assert good.status_code == 201


async def test_delete_retry_replays_204(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    headers = {**bearer(), "Idempotency-Key": "del-1"}
    first = await client.delete(f"{API}/projects/{project['id']}", headers=headers)
    second = await client.delete(f"{API}/projects/{project['id']}", headers=headers)
    assert first.status_code == second.status_code == 204


async def test_malformed_key_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/projects",
        json={"key": "KEYS", "title": "x"},
        headers={**bearer(), "Idempotency-Key": "x" * 256},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


async def test_simultaneous_retries_write_once_and_all_get_the_first_answer(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}/work-items"
    headers = {**bearer(), "Idempotency-Key": "burst"}
    before = _count(db, "pm_work_items")
    answers = await asyncio.gather(
        *(
            client.post(url, json={"item_type": "task", "title": "T"}, headers=headers)
            for _ in range(6)
        )
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum("idempotent-replayed" not in a.headers for a in answers) == 1
    assert _count(db, "pm_work_items") == before + 1


async def test_a_retry_that_would_now_fail_gets_the_first_answer(
    client: httpx.AsyncClient,
) -> None:
    # The second attempt's work fails (the project key is taken by the first attempt);
    # the retry still gets the first answer, not the conflict.
    headers = {**bearer(), "Idempotency-Key": "make-project"}
    body = {"key": "ONCE", "title": "Once"}
    first = await client.post(f"{API}/projects", json=body, headers=headers)
    second = await client.post(f"{API}/projects", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"


async def test_an_expired_key_can_be_used_again(client: httpx.AsyncClient, db: TenantDb) -> None:
    project = await create_project(client, bearer())
    url = f"{API}/projects/{project['id']}/work-items"
    headers = {**bearer(), "Idempotency-Key": "old"}
    first = await client.post(url, json={"item_type": "story", "title": "A"}, headers=headers)
    db.execute("UPDATE pm_idempotency_keys SET created_at = 0 WHERE key = 'old'")
    again = await client.post(url, json={"item_type": "story", "title": "B"}, headers=headers)
    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    replay = await client.post(url, json={"item_type": "story", "title": "B"}, headers=headers)
    assert replay.json() == again.json()
