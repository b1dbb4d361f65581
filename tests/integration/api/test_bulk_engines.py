"""POST /bulk on both storage engines: creations side by side share their statements (one
numbering, one insert, one batch of events) and answer as if each ran alone.

(`test_bulk.py` reads the SQLite file for its nothing-written checks, so it runs on SQLite
only.)"""

from __future__ import annotations

import httpx

from tests.conftest import admin_bearer, bearer
from tests.helpers import API, bulk_create, create_project


async def test_a_plan_of_many_creations_numbers_and_announces_each_in_order(
    client: httpx.AsyncClient,
) -> None:
    one = (await create_project(client, bearer(), key="PONE"))["id"]
    two = (await create_project(client, bearer(), key="PTWO"))["id"]
    failing = [
        bulk_create(one, "a"),
        bulk_create(one, "b"),
        bulk_create(one, "c", sprint_id="no-such-sprint"),
    ]
    answer = await client.post(f"{API}/bulk", json={"operations": failing}, headers=bearer())
    assert (answer.status_code, answer.json()["index"]) == (422, 2), answer.text
    operations = [
        bulk_create(one, "first", ref="first"),
        bulk_create(one, "second"),
        bulk_create(two, "elsewhere"),
        bulk_create(one, "child", item_type="task", parent_id="$first"),
        *(bulk_create(one, f"more {n}") for n in range(300)),
    ]
    answer = await client.post(f"{API}/bulk", json={"operations": operations}, headers=bearer())
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    keys = [r["result"]["key"] for r in results]
    assert keys[:5] == ["PONE-1", "PONE-2", "PTWO-1", "PONE-3", "PONE-4"]
    assert keys[-1] == "PONE-303"
    assert results[3]["result"]["parent_id"] == results[0]["id"]
    listed = await client.get(f"{API}/events", params={"limit": 1000}, headers=admin_bearer())
    events = listed.json()["events"]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # gap-free: the failure took none
    assert [e["entity_id"] for e in events[-len(operations) :]] == [r["id"] for r in results]
    # The failed request took no number either; the next single creation follows on.
    single = await client.post(
        f"{API}/projects/PONE/work-items",
        json={"item_type": "story", "title": "after"},
        headers=bearer(),
    )
    assert single.json()["key"] == "PONE-304"
