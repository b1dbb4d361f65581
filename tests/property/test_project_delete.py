"""Deleting a project takes its items' links and running timers with it (found by the
stateful property test, kept as regression tests)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.helpers import API, create_item, create_project


async def test_deleting_a_project_unlinks_its_items(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """An item of another project is no longer blocked by an item of a deleted project."""
    headers = auth()
    one = await create_project(client, headers, "PONE")
    two = await create_project(client, headers, "PTWO")
    blocking = await create_item(client, headers, one["id"])
    blocked = await create_item(client, headers, two["id"])
    link = {
        "blocking_item_id": blocking["id"],
        "blocked_item_id": blocked["id"],
        "dependency_type": "blocks",
    }
    assert (await client.post(f"{API}/dependencies", json=link, headers=headers)).status_code == 201

    assert (await client.delete(f"{API}/projects/{one['id']}", headers=headers)).status_code == 204

    deps = await client.get(f"{API}/work-items/{blocked['id']}/dependencies", headers=headers)
    assert deps.json()["blocking"] == []


async def test_deleting_a_project_stops_timers_on_its_items(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
) -> None:
    """A timer on an item of a deleted project stops (today it runs on and cannot be stopped)."""
    headers = auth()
    project = await create_project(client, headers, "PONE")
    item = await create_item(client, headers, project["id"])
    started = await client.post(f"{API}/work-items/{item['id']}/timer/start", headers=headers)
    assert started.status_code == 201

    assert (
        await client.delete(f"{API}/projects/{project['id']}", headers=headers)
    ).status_code == 204

    running = await client.get(f"{API}/time-entries/running", headers=headers)
    assert running.json()["time_entry"] is None
