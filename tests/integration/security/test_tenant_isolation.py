"""Tenant A can never read or change tenant B's data by id."""

from __future__ import annotations

import httpx

from tests.conftest import bearer
from tests.helpers import API, create_item, create_project


async def test_other_tenant_gets_404_on_every_id(client: httpx.AsyncClient) -> None:
    owner = bearer("acme", "alice")
    intruder = bearer("globex", "alice")  # same user id, other tenant
    project = await create_project(client, owner)
    item = await create_item(client, owner, project["id"])
    attempts = [
        ("GET", f"{API}/projects/{project['id']}", None),
        ("PATCH", f"{API}/projects/{project['id']}", {"title": "pwned"}),
        ("PUT", f"{API}/projects/{project['id']}", {"title": "pwned"}),
        ("DELETE", f"{API}/projects/{project['id']}", None),
        ("GET", f"{API}/projects/{project['id']}/work-items", None),
        (
            "POST",
            f"{API}/projects/{project['id']}/work-items",
            {"item_type": "story", "title": "planted"},
        ),
        ("GET", f"{API}/work-items/{item['id']}", None),
        ("GET", f"{API}/work-items/{item['key']}", None),
        ("PATCH", f"{API}/work-items/{item['id']}", {"title": "pwned"}),
        ("DELETE", f"{API}/work-items/{item['id']}", None),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=intruder)
        assert response.status_code == 404, (method, url, response.text)
    # Nothing changed for the owner, and the intruder's own tenant is empty.
    mine = await client.get(f"{API}/work-items/{item['id']}", headers=owner)
    assert mine.json()["title"] == item["title"]
    assert mine.json()["version"] == 1
    theirs = await client.get(f"{API}/projects", headers=intruder)
    assert theirs.json()["items"] == []
