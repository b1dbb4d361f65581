"""LLM context: the seeded documentation rows, their filters, and that their SQL really runs."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from pm.db import migrate, tables
from tests.conftest import bearer
from tests.helpers import API, create_item, create_project
from tests.tenantdb import TenantDb

PARAM = re.compile(r"(?<![:\w]):([a-z_]+)")


async def context(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """GET /llm/context with the given filters."""
    response = await client.get(f"{API}/llm/context", params=params, headers=bearer())
    assert response.status_code == 200, response.text
    return list(response.json())


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a body that must be created (201) and return the created JSON."""
    response = await client.post(f"{API}{path}", json=body, headers=bearer())
    assert response.status_code == 201, response.text
    return dict(response.json())


async def seed_board(client: httpx.AsyncClient) -> dict[str, object]:
    """A small but complete project made through the API; returns the example parameters."""
    project = await create_project(client, bearer())
    pid = project["id"]
    sprint = await post(
        client, f"/projects/{pid}/sprints", {"name": "S1", "start_date": 0, "end_date": 86_400}
    )
    activated = await client.patch(
        f"{API}/sprints/{sprint['id']}", json={"status": "active"}, headers=bearer()
    )
    assert activated.status_code == 200
    await post(client, f"/projects/{pid}/swim-lanes", {"status_value": "qa", "name": "QA"})
    epic = await create_item(client, bearer(), pid, "epic", "Board")
    story = await create_item(
        client,
        bearer(),
        pid,
        "story",
        "Columns",
        parent_id=epic["id"],
        sprint_id=sprint["id"],
        story_points=3,
        assignee_id="alice",
    )
    await create_item(
        client,
        bearer(),
        pid,
        "story",
        "Lanes",
        parent_id=epic["id"],
        sprint_id=sprint["id"],
        story_points=5,
        status="done",
    )
    task = await create_item(client, bearer(), pid, "task", "Drag", parent_id=story["id"])
    await post(
        client,
        "/dependencies",
        {
            "blocking_item_id": epic["id"],
            "blocked_item_id": task["id"],
            "dependency_type": "blocks",
        },
    )
    await post(client, f"/work-items/{story['key']}/comments", {"content": "Looks *good*"})
    await post(
        client, f"/work-items/{story['key']}/time-entries", {"started_at": 1_000, "ended_at": 4_600}
    )
    timer = await client.post(
        f"{API}/work-items/{task['key']}/timer/start", json={}, headers=bearer()
    )
    assert timer.status_code in (200, 201), timer.text
    return {
        "project_id": pid,
        "sprint_id": sprint["id"],
        "key": epic["key"],
        "user_id": "alice",
        "since": 0,
    }


async def test_entries_come_most_important_first(client: httpx.AsyncClient) -> None:
    entries = await context(client)
    assert len(entries) >= 40
    priorities = [e["priority"] for e in entries]
    assert priorities == sorted(priorities, reverse=True)
    assert entries[0]["title"] == "Change data through the API, read it with SQL"
    assert {e["context_type"] for e in entries} == {
        "schema",
        "query_pattern",
        "business_rule",
        "api_usage",
    }
    assert len({e["id"] for e in entries}) == len(entries)


async def test_filters_narrow_the_entries(client: httpx.AsyncClient) -> None:
    sprints = await context(client, category="sprints")
    assert {e["category"] for e in sprints} == {"sprints"}
    assert {"Sprint lifecycle", "One active sprint per project", "Table pm_sprints"} <= {
        e["title"] for e in sprints
    }
    patterns = await context(client, context_type="query_pattern")
    assert len(patterns) >= 8
    assert all(e["example_sql"] and e["example_description"] for e in patterns)
    rules = await context(client, category="work_items", context_type="business_rule")
    assert {e["title"] for e in rules} == {
        "Work item hierarchy",
        "Status comes from the swim lanes",
    }
    important = await context(client, min_priority=90)
    assert important
    assert all(e["priority"] >= 90 for e in important)
    assert len(important) < len(await context(client))
    assert await context(client, category="no_such_area") == []


async def test_bad_filters_and_missing_token_are_refused(client: httpx.AsyncClient) -> None:
    negative = await client.get(f"{API}/llm/context", params={"min_priority": -1}, headers=bearer())
    assert negative.status_code == 422
    assert negative.json()["field"] == "min_priority"
    assert (await client.get(f"{API}/llm/context")).status_code == 401


async def test_every_table_is_documented_column_by_column(client: httpx.AsyncClient) -> None:
    schema = {e["title"]: e["content"] for e in await context(client, context_type="schema")}
    for table in tables.metadata.sorted_tables:
        content = schema.get(f"Table {table.name}")
        assert content is not None, f"no schema entry for {table.name}"
        undocumented = [c.name for c in table.columns if not re.search(rf"\b{c.name}\b", content)]
        assert undocumented == [], f"{table.name} lacks {undocumented}"


async def test_every_example_sql_runs_and_finds_rows(
    client: httpx.AsyncClient, db: TenantDb
) -> None:
    values = await seed_board(client)
    examples = [e for e in await context(client) if e["example_sql"]]
    assert len(examples) >= 10
    for entry in examples:
        sql = entry["example_sql"]
        names = set(PARAM.findall(sql))
        assert names <= set(values), f"{entry['title']}: unknown parameters {names}"
        rows = db.named(sql, {n: values[n] for n in names})
        assert rows, f"{entry['title']} found nothing"


async def test_other_tenants_get_the_same_documentation(client: httpx.AsyncClient) -> None:
    mine = await context(client)
    response = await client.get(f"{API}/llm/context", headers=bearer(tenant="other"))
    assert response.json() == mine


def _ids(path: Path) -> list[str]:
    """The ids of the LLM context rows in a database file."""
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM pm_llm_context ORDER BY id")]
    finally:
        conn.close()


def test_seed_is_deterministic_and_reversible(tmp_path: Path, template_db: Path) -> None:
    path = tmp_path / "tenant.db"
    migrate.upgrade_sqlite(path)
    seeded = _ids(path)
    assert seeded
    assert seeded == _ids(template_db)
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0001")
    finally:
        engine.dispose()
    assert _ids(path) == []
    migrate.upgrade_sqlite(path)
    assert _ids(path) == seeded
