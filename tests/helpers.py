"""Small factories over the REST API, one per domain noun."""

from __future__ import annotations

from typing import Any

import httpx

API = "/api/v1"


async def create_project(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    key: str = "PONE",
    title: str = "Project one",
    **fields: Any,
) -> dict[str, Any]:
    """Create a project and return its JSON."""
    response = await client.post(
        f"{API}/projects", json={"key": key, "title": title, **fields}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_member(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    project_id: str,
    user_id: str,
    role: str = "editor",
) -> dict[str, Any]:
    """Give `user_id` a role in the project (as the admin in `headers`); returns the member."""
    response = await client.put(
        f"{API}/projects/{project_id}/members/{user_id}", json={"role": role}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def create_item(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    project_id: str,
    item_type: str = "story",
    title: str = "An item",
    **fields: Any,
) -> dict[str, Any]:
    """Create a work item and return its JSON."""
    response = await client.post(
        f"{API}/projects/{project_id}/work-items",
        json={"item_type": item_type, "title": title, **fields},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def activity_for(
    client: httpx.AsyncClient, headers: dict[str, str], entity_type: str, entity_id: str
) -> list[dict[str, Any]]:
    """Every activity entry of an entity, newest first."""
    response = await client.get(
        f"{API}/activity",
        params={"entity_type": entity_type, "entity_id": entity_id, "limit": 200},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def bulk_create(project_id: str, title: str, **fields: Any) -> dict[str, Any]:
    """A `POST /bulk` operation creating a work item (a story unless `item_type` says)."""
    return {
        "op": "create",
        "entity": "work_item",
        "project_id": project_id,
        "item_type": "story",
        "title": title,
        **fields,
    }
