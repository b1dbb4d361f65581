"""Test data: projects and items through the REST API, bulk items straight into SQLite."""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import httpx

from pm.core.activity import ActivityEntry
from pm.core.dependencies import Dependency
from pm.core.ids import new_id
from pm.core.swim_lanes import DEFAULT_LANES
from pm.core.work_items import WorkItem, item_key

STATUSES = tuple(value for value, _ in DEFAULT_LANES)
_ITEM_COLS = tuple(f.name for f in fields(WorkItem))
_ACTIVITY_COLS = tuple(f.name for f in fields(ActivityEntry))
_DEPENDENCY_COLS = tuple(f.name for f in fields(Dependency))


def _insert(table: str, cols: tuple[str, ...]) -> str:
    # Table and column names are constants of this module; values are always bound.
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"  # noqa: S608


def tenant_db(data_dir: Path, tenant: str) -> Path:
    """Where `pm-server` keeps a tenant's database under DB_PATH."""
    return data_dir / "tenants" / tenant / "main.db"


def create_project(client: httpx.Client, key: str, title: str) -> dict[str, Any]:
    """A project made through the API (with its default swim lanes)."""
    response = client.post("/api/v1/projects", json={"key": key, "title": title})
    response.raise_for_status()
    return dict(response.json())


def create_item(client: httpx.Client, project_id: str, **body: object) -> dict[str, Any]:
    """A work item made through the API."""
    response = client.post(f"/api/v1/projects/{project_id}/work-items", json=body)
    response.raise_for_status()
    return dict(response.json())


def stories(client: httpx.Client, project_id: str, count: int) -> list[str]:
    """The ids of `count` stories made through the API, one request each (s0, s1, …)."""
    return [
        create_item(client, project_id, item_type="story", title=f"s{n}")["id"]
        for n in range(count)
    ]


def add_members(client: httpx.Client, project_id: str, users: list[str], role: str) -> bool:
    """Give users a role in the project (False: this server has no project membership)."""
    for user in users:
        response = client.put(f"/api/v1/projects/{project_id}/members/{user}", json={"role": role})
        if response.status_code in (404, 405) and user == users[0]:
            return False
        response.raise_for_status()
    return True


def bulk_items(
    db: Path, project_id: str, count: int, user: str = "seed", status: str | None = None
) -> list[str]:
    """Insert `count` stories in one transaction, as the API would make them; returns ids.

    Each gets the project's next number and key, `status` (default: cycling through the
    default lanes) and its "created" activity row; the project's counter moves past them.
    """
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("BEGIN IMMEDIATE")
        key, first = conn.execute(
            "SELECT key, next_work_item_number FROM pm_projects WHERE id = ?", (project_id,)
        ).fetchone()
        now = int(time.time())
        items, activity, ids = [], [], []
        for number in range(first, first + count):
            item_id = new_id()
            ids.append(item_id)
            lane = status or STATUSES[number % len(STATUSES)]
            title = f"Seeded story {number} for the list benchmark"
            items.append(
                (
                    item_id,
                    project_id,
                    "story",
                    number,
                    item_key(key, number),
                    None,
                    number,
                    title,
                    None,
                    lane,
                    "medium",
                    3,
                    None,
                    None,
                    1,
                    now,
                    now,
                    user,
                    user,
                    None,
                )
            )
            activity.append(
                (
                    new_id(),
                    "work_item",
                    item_id,
                    project_id,
                    "created",
                    None,
                    None,
                    None,
                    user,
                    now,
                    None,
                )
            )
        conn.executemany(_insert("pm_work_items", _ITEM_COLS), items)
        conn.executemany(_insert("pm_activity_log", _ACTIVITY_COLS), activity)
        conn.execute(
            "UPDATE pm_projects SET next_work_item_number = ? WHERE id = ?",
            (first + count, project_id),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return ids


def bulk_blocks(db: Path, item_ids: list[str], count: int, user: str = "seed") -> int:
    """Insert `count` distinct `blocks` links between the items in one transaction.

    Each link goes from an earlier item of the list to a later one, so the links never close
    a cycle (as the API guarantees); the pairs are random but the same every run.
    """
    rng = random.Random(13)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        a, b = sorted(rng.sample(range(len(item_ids)), 2))
        pairs.add((a, b))
    now = int(time.time())
    rows = [
        (new_id(), item_ids[a], item_ids[b], "blocks", now, user, None) for a, b in sorted(pairs)
    ]
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_insert("pm_dependencies", _DEPENDENCY_COLS), rows)
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return len(rows)
