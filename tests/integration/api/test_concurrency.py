"""Concurrent updates with the same expected version: exactly one wins."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import bearer
from tests.helpers import API, add_member, create_item, create_project


async def test_exactly_one_of_many_concurrent_updates_wins(client: httpx.AsyncClient) -> None:
    project = await create_project(client, bearer())
    item = await create_item(client, bearer(), project["id"])
    users = [f"user{n}" for n in range(20)]
    for user in users:
        await add_member(client, bearer(), project["id"], user)
    answers = await asyncio.gather(
        *(
            client.patch(
                f"{API}/work-items/{item['id']}",
                json={"title": f"by {user}", "expected_version": 1},
                headers=bearer(user=user),
            )
            for user in users
        )
    )
    winners = [r for r in answers if r.status_code == 200]
    assert len(winners) == 1
    assert sorted(r.status_code for r in answers) == [200] + [409] * 19
    final = (await client.get(f"{API}/work-items/{item['id']}", headers=bearer())).json()
    assert (final["title"], final["version"]) == (winners[0].json()["title"], 2)
    history = (
        await client.get(f"{API}/work-items/{item['id']}/activity", headers=bearer())
    ).json()["items"]
    assert [e["action"] for e in history].count("updated") == 1
