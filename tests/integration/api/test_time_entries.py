"""Time entries and timers over REST on real SQLite files: one running timer per user."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project
from tests.tenantdb import TenantDb

T0 = 1_700_000_000


def tenant_rows(db: TenantDb, query: str, *args: object) -> list[tuple[Any, ...]]:
    """Rows of the acme tenant, read behind the server's back."""
    return db.rows(query, *args)


async def two_items(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two stories in a fresh project of alice's, with bob as an editor."""
    project = await create_project(client, bearer())
    await add_member(client, bearer(), project["id"], "bob")
    first = await create_item(client, bearer(), project["id"], title="First")
    second = await create_item(client, bearer(), project["id"], title="Second")
    return first, second


async def log_time(
    client: httpx.AsyncClient, item: str, start: int, end: int, user: str = "alice", **extra: Any
) -> dict[str, Any]:
    """Create a manual entry and return its JSON."""
    response = await client.post(
        f"{API}/work-items/{item}/time-entries",
        json={"started_at": start, "ended_at": end, **extra},
        headers=bearer(user=user),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def start(client: httpx.AsyncClient, item: str, user: str = "alice") -> dict[str, Any]:
    """Start a timer and return the response JSON."""
    response = await client.post(f"{API}/work-items/{item}/timer/start", headers=bearer(user=user))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def running(client: httpx.AsyncClient, user: str = "alice") -> Any:
    """The user's running timer (or None)."""
    response = await client.get(f"{API}/time-entries/running", headers=bearer(user=user))
    assert response.status_code == 200
    return response.json()["time_entry"]


async def test_manual_entry_computes_duration_and_is_listed_newest_first(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item, _ = await two_items(client)
    older = await log_time(client, item["key"], T0, T0 + 1800, description="Review")
    newer = await log_time(client, item["id"], T0 + 3600, T0 + 3660, user="bob")
    assert older["duration_seconds"] == 1800
    assert older["description"] == "Review"
    assert (older["user_id"], newer["user_id"]) == ("alice", "bob")
    assert older["work_item_id"] == item["id"]
    listed = await client.get(f"{API}/work-items/{item['key']}/time-entries", headers=bearer())
    assert listed.json() == {"items": [newer, older], "total_count": 2}
    paged = await client.get(
        f"{API}/work-items/{item['id']}/time-entries",
        params={"limit": 1, "offset": 1},
        headers=bearer(),
    )
    assert paged.json() == {"items": [older], "total_count": 2}
    assert tenant_rows(
        db,
        "SELECT entity_type, action, project_id FROM pm_activity_log WHERE entity_id = ?",
        older["id"],
    ) == [("time_entry", "created", item["project_id"])]


async def test_list_limit_is_range_checked(client: httpx.AsyncClient) -> None:
    item, _ = await two_items(client)
    url = f"{API}/work-items/{item['id']}/time-entries"
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        response = await client.get(url, params=params, headers=bearer())
        assert response.status_code == 422
        assert response.json()["field"] == next(iter(params))
    ok = await client.get(url, params={"limit": 500}, headers=bearer())
    assert ok.status_code == 200


async def test_end_before_start_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item, _ = await two_items(client)
    response = await client.post(
        f"{API}/work-items/{item['id']}/time-entries",
        json={"started_at": T0, "ended_at": T0 - 1},
        headers=bearer(),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["field"] == "ended_at"
    assert tenant_rows(db, "SELECT COUNT(*) FROM pm_time_entries") == [(0,)]
    assert tenant_rows(
        db, "SELECT COUNT(*) FROM pm_activity_log WHERE entity_type = 'time_entry'"
    ) == [(0,)]


async def test_timestamps_out_of_range_are_refused(client: httpx.AsyncClient) -> None:
    item, _ = await two_items(client)
    for body in ({"started_at": -1, "ended_at": T0}, {"started_at": T0, "ended_at": 10**13}):
        response = await client.post(
            f"{API}/work-items/{item['id']}/time-entries", json=body, headers=bearer()
        )
        assert response.status_code == 422


async def test_starting_a_second_timer_stops_the_first_and_reports_both(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    first_item, second_item = await two_items(client)
    first = await start(client, first_item["key"])
    assert first["stopped_entry"] is None
    assert first["time_entry"]["ended_at"] is None
    assert first["time_entry"]["duration_seconds"] is None
    assert await running(client) == first["time_entry"]

    second = await start(client, second_item["id"])
    stopped = second["stopped_entry"]
    assert stopped["id"] == first["time_entry"]["id"]
    assert stopped["ended_at"] is not None
    assert stopped["duration_seconds"] == stopped["ended_at"] - stopped["started_at"]
    assert second["time_entry"]["work_item_id"] == second_item["id"]
    assert await running(client) == second["time_entry"]
    running_rows = tenant_rows(
        db,
        "SELECT id FROM pm_time_entries WHERE user_id = 'alice' AND ended_at IS NULL",
    )
    assert running_rows == [(second["time_entry"]["id"],)]
    assert tenant_rows(
        db,
        "SELECT action, field_name FROM pm_activity_log WHERE entity_id = ? ORDER BY id",
        stopped["id"],
    ) == [("started", None), ("stopped", "ended_at"), ("stopped", "duration_seconds")]


async def test_each_user_has_their_own_running_timer(client: httpx.AsyncClient) -> None:
    item, _ = await two_items(client)
    alice = await start(client, item["id"])
    bob = await start(client, item["id"], user="bob")
    assert bob["stopped_entry"] is None
    assert await running(client) == alice["time_entry"]
    assert await running(client, user="bob") == bob["time_entry"]
    assert await running(client, user="carol") is None


async def test_stop_ends_the_timer_and_a_second_stop_is_refused(
    client: httpx.AsyncClient,
) -> None:
    item, _ = await two_items(client)
    entry = (await start(client, item["id"]))["time_entry"]
    url = f"{API}/time-entries/{entry['id']}/stop"
    stopped = await client.post(url, headers=bearer())
    assert stopped.status_code == 200
    assert stopped.json()["id"] == entry["id"]
    assert stopped.json()["ended_at"] >= entry["started_at"]
    assert await running(client) is None
    again = await client.post(url, headers=bearer())
    assert again.status_code == 422
    assert again.json()["code"] == "VALIDATION_ERROR"
    fetched = await client.get(f"{API}/time-entries/{entry['id']}", headers=bearer())
    assert fetched.json() == stopped.json()


async def test_only_the_owner_may_stop_change_or_delete(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item, _ = await two_items(client)
    entry = (await start(client, item["id"]))["time_entry"]
    url = f"{API}/time-entries/{entry['id']}"
    bob = bearer(user="bob")
    attempts = [
        await client.post(f"{url}/stop", headers=bob),
        await client.patch(url, json={"description": "mine now"}, headers=bob),
        await client.put(url, json={"description": "mine now"}, headers=bob),
        await client.delete(url, headers=bob),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert response.json()["code"] == "AUTHORIZATION_FAILED"
    # Reading is open to every member of the project.
    assert (await client.get(url, headers=bob)).json() == entry
    assert await running(client) == entry
    assert tenant_rows(
        db, "SELECT action FROM pm_activity_log WHERE entity_id = ?", entry["id"]
    ) == [("started",)]


async def test_edit_keeps_duration_consistent_and_logs_old_to_new(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item, _ = await two_items(client)
    entry = await log_time(client, item["id"], T0, T0 + 600, description="Pairing")
    url = f"{API}/time-entries/{entry['id']}"
    patched = await client.patch(url, json={"ended_at": T0 + 900}, headers=bearer())
    assert patched.status_code == 200
    assert (patched.json()["ended_at"], patched.json()["duration_seconds"]) == (T0 + 900, 900)
    assert patched.json()["description"] == "Pairing"
    put = await client.put(
        url, json={"started_at": T0 + 300, "description": None}, headers=bearer()
    )
    assert put.status_code == 200
    assert put.json()["duration_seconds"] == 600
    assert put.json()["description"] is None
    changes = tenant_rows(
        db,
        "SELECT field_name, old_value, new_value FROM pm_activity_log "
        "WHERE entity_id = ? AND action = 'updated' ORDER BY id",
        entry["id"],
    )
    assert changes == [
        ("ended_at", str(T0 + 600), str(T0 + 900)),
        ("duration_seconds", "600", "900"),
        ("started_at", str(T0), str(T0 + 300)),
        ("duration_seconds", "900", "600"),
        ("description", "Pairing", None),
    ]


async def test_edit_that_ends_before_it_starts_changes_nothing(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item, _ = await two_items(client)
    entry = await log_time(client, item["id"], T0, T0 + 600)
    url = f"{API}/time-entries/{entry['id']}"
    refused = await client.patch(url, json={"started_at": T0 + 601}, headers=bearer())
    assert refused.status_code == 422
    assert refused.json()["field"] == "ended_at"
    assert (await client.get(url, headers=bearer())).json() == entry
    assert tenant_rows(
        db, "SELECT action FROM pm_activity_log WHERE entity_id = ?", entry["id"]
    ) == [("created",)]


async def test_delete_is_soft_and_discards_a_running_timer(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    item, _ = await two_items(client)
    entry = (await start(client, item["id"]))["time_entry"]
    url = f"{API}/time-entries/{entry['id']}"
    deleted = await client.delete(url, headers=bearer())
    assert deleted.status_code == 204
    assert (await client.get(url, headers=bearer())).status_code == 404
    assert await running(client) is None
    listed = await client.get(f"{API}/work-items/{item['id']}/time-entries", headers=bearer())
    assert listed.json() == {"items": [], "total_count": 0}
    rows = tenant_rows(db, "SELECT deleted_at FROM pm_time_entries WHERE id = ?", entry["id"])
    assert rows[0][0] is not None
    # With the old timer gone, a new one starts without stopping anything.
    assert (await start(client, item["id"]))["stopped_entry"] is None


async def test_deleting_the_work_item_stops_its_timer(client: httpx.AsyncClient) -> None:
    item, _ = await two_items(client)
    entry = (await start(client, item["id"]))["time_entry"]
    assert (
        await client.delete(f"{API}/work-items/{item['id']}", headers=bearer())
    ).status_code == 204
    assert await running(client) is None
    gone = await client.get(f"{API}/time-entries/{entry['id']}", headers=bearer())
    assert gone.status_code == 404
    refused = await client.post(f"{API}/work-items/{item['id']}/timer/start", headers=bearer())
    assert refused.status_code == 404


async def test_missing_and_other_tenant_ids_are_404(client: httpx.AsyncClient) -> None:
    item, _ = await two_items(client)
    entry = await log_time(client, item["id"], T0, T0 + 60)
    other = bearer(tenant="other")
    url = f"{API}/time-entries/{entry['id']}"
    attempts = [
        await client.get(url, headers=other),
        await client.patch(url, json={"description": "x"}, headers=other),
        await client.delete(url, headers=other),
        await client.post(f"{url}/stop", headers=other),
        await client.get(f"{API}/work-items/{item['id']}/time-entries", headers=other),
        await client.post(f"{API}/work-items/{item['key']}/timer/start", headers=other),
        await client.get(f"{API}/time-entries/nope", headers=bearer()),
    ]
    for response in attempts:
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
    assert (await client.get(url, headers=bearer())).json() == entry
