"""The invariants of a tenant database, read straight from its SQLite file (read-only).

Each check returns a list of human-readable violations (empty when the invariant holds), so a
failing property test says exactly what broke and where.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pm.core.enums import WorkItemType
from pm.core.work_items import ALLOWED_PARENT

# Tables of entities with their own activity history, and the action that records creation.
ENTITIES = {
    "pm_projects": ("project", {"created"}),
    "pm_work_items": ("work_item", {"created"}),
    "pm_sprints": ("sprint", {"created"}),
    "pm_dependencies": ("dependency", {"created"}),
    "pm_time_entries": ("time_entry", {"created", "started"}),
    "pm_comments": ("comment", {"created"}),
}
# Columns that change without being a change of the entity (counters, not content).
NOT_CONTENT = {"pm_projects": {"next_work_item_number"}}


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a tenant database."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


@dataclass
class Snapshot:
    """Every entity row (by table and id) and the activity count of every entity id."""

    rows: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    activity: Counter[str] = field(default_factory=Counter)
    deleted_projects: set[str] = field(default_factory=set)

    @classmethod
    def take(cls, conn: sqlite3.Connection) -> Snapshot:
        """Read the whole tenant."""
        snap = cls()
        for table in ENTITIES:
            for row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 - constant names
                snap.rows[(table, row["id"])] = dict(row)
        for row in conn.execute("SELECT entity_id, COUNT(*) FROM pm_activity_log GROUP BY 1"):
            snap.activity[row[0]] = row[1]
        snap.deleted_projects = {
            key[1]
            for key, row in snap.rows.items()
            if key[0] == "pm_projects" and row["deleted_at"] is not None
        }
        return snap


def hierarchy(conn: sqlite3.Connection) -> list[str]:
    """Live items: parent of the allowed type, live, in the same project; no cycles."""
    items = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM pm_work_items")}
    problems = []
    for item in items.values():
        if item["deleted_at"] is not None or item["parent_id"] is None:
            continue
        parent = items.get(item["parent_id"])
        expected = ALLOWED_PARENT[WorkItemType(item["item_type"])]
        if parent is None:
            problems.append(f"{item['key']}: parent {item['parent_id']} does not exist")
        elif parent["deleted_at"] is not None:
            problems.append(f"{item['key']}: parent {parent['key']} is deleted")
        elif expected is None or parent["item_type"] != expected.value:
            problems.append(f"{item['key']} ({item['item_type']}) under a {parent['item_type']}")
        elif parent["project_id"] != item["project_id"]:
            problems.append(f"{item['key']}: parent {parent['key']} is in another project")
    for start in items:
        seen, current = set(), items[start]["parent_id"]
        while current is not None and current in items:
            if current in seen or current == start:
                problems.append(f"{items[start]['key']}: its ancestors form a cycle")
                break
            seen.add(current)
            current = items[current]["parent_id"]
    return problems


def blocks_acyclic(conn: sqlite3.Connection) -> list[str]:
    """The graph of undeleted `blocks` links has no cycle."""
    graph: dict[str, list[str]] = {}
    for a, b in conn.execute(
        "SELECT blocking_item_id, blocked_item_id FROM pm_dependencies "
        "WHERE deleted_at IS NULL AND dependency_type = 'blocks'"
    ):
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1 = on the path, 2 = done

    def visit(node: str) -> bool:
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1 or (nxt not in state and visit(nxt)):
                return True
        state[node] = 2
        return False

    return [f"blocks cycle through {n}" for n in list(graph) if n not in state and visit(n)]


def links_and_timers_of_live_items(conn: sqlite3.Connection) -> list[str]:
    """No live link touches, and no running timer runs on, a deleted work item (whether it
    was deleted on its own or with its project)."""
    deleted = "(SELECT id FROM pm_work_items WHERE deleted_at IS NOT NULL)"
    links = conn.execute(
        "SELECT id FROM pm_dependencies WHERE deleted_at IS NULL AND "  # noqa: S608
        f"(blocking_item_id IN {deleted} OR blocked_item_id IN {deleted})"
    ).fetchall()
    timers = conn.execute(
        "SELECT id FROM pm_time_entries WHERE deleted_at IS NULL AND ended_at IS NULL "  # noqa: S608
        f"AND work_item_id IN {deleted}"
    ).fetchall()
    return [f"live link {r[0]} touches a deleted item" for r in links] + [
        f"timer {r[0]} still runs on a deleted item" for r in timers
    ]


def one_running_timer(conn: sqlite3.Connection) -> list[str]:
    """At most one running (unended, undeleted) timer per user."""
    return [
        f"{user} has {n} running timers"
        for user, n in conn.execute(
            "SELECT user_id, COUNT(*) FROM pm_time_entries "
            "WHERE ended_at IS NULL AND deleted_at IS NULL GROUP BY user_id HAVING COUNT(*) > 1"
        )
    ]


def sprint_membership(conn: sqlite3.Connection) -> list[str]:
    """A live item's sprint is a live sprint of its project, and the item is not an epic."""
    rows = conn.execute(
        "SELECT i.key, i.item_type, i.project_id, s.project_id, s.deleted_at "
        "FROM pm_work_items i JOIN pm_sprints s ON s.id = i.sprint_id "
        "WHERE i.deleted_at IS NULL"
    )
    problems = []
    for key, item_type, project, sprint_project, sprint_deleted in rows:
        if item_type == "epic":
            problems.append(f"epic {key} is in a sprint")
        if sprint_project != project:
            problems.append(f"{key} is in another project's sprint")
        if sprint_deleted is not None:
            problems.append(f"{key} is in a deleted sprint")
    return problems


def event_stream(conn: sqlite3.Connection, published: list[int]) -> list[str]:
    """Event seqs are exactly 1..n, and exactly those were published after commit, in order."""
    seqs = [r[0] for r in conn.execute("SELECT seq FROM pm_events ORDER BY seq")]
    problems = []
    if seqs != list(range(1, len(seqs) + 1)):
        problems.append(f"event seqs {seqs[:3]}...{seqs[-3:]} (n={len(seqs)}) have gaps")
    if published != seqs:
        problems.append(
            f"published {published[-3:]} (n={len(published)}) != stored (n={len(seqs)})"
        )
    return problems


def created_activity(conn: sqlite3.Connection) -> list[str]:
    """Every entity has an activity row recording its creation."""
    problems = []
    for table, (entity_type, actions) in ENTITIES.items():
        marks = ",".join(f"'{a}'" for a in actions)
        missing = conn.execute(
            f"SELECT id FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM pm_activity_log a "  # noqa: S608
            f"WHERE a.entity_id = t.id AND a.entity_type = '{entity_type}' "
            f"AND a.action IN ({marks}))"
        ).fetchall()
        problems += [f"{entity_type} {r[0]} has no creation activity" for r in missing]
    return problems


def changes_logged(before: Snapshot, after: Snapshot) -> list[str]:
    """Every row that appeared or changed got a new activity row (its own, or its project's
    deletion when the project's delete took it along)."""
    problems = []
    for key, row in after.rows.items():
        table, ident = key
        old = before.rows.get(key)
        ignore = NOT_CONTENT.get(table, set())
        if old is not None and all(old[c] == row[c] for c in row if c not in ignore):
            continue
        if after.activity[ident] > before.activity[ident]:
            continue
        project = row.get("project_id")
        newly_deleted = after.deleted_projects - before.deleted_projects
        if project in newly_deleted and after.activity[project] > before.activity[project]:
            continue
        problems.append(f"{table} {ident} changed without an activity entry")
    return problems


def versions_grow(before: Snapshot, after: Snapshot) -> list[str]:
    """A row's version never goes down, and goes up whenever its content changes."""
    problems = []
    for key, row in after.rows.items():
        old = before.rows.get(key)
        if old is None or "version" not in row:
            continue
        ignore = NOT_CONTENT.get(key[0], set()) | {"version"}
        changed = any(old[c] != row[c] for c in row if c not in ignore)
        if row["version"] < old["version"] or (changed and row["version"] == old["version"]):
            problems.append(f"{key[0]} {key[1]}: version {old['version']} -> {row['version']}")
    return problems


STATE_CHECKS = (
    hierarchy,
    blocks_acyclic,
    links_and_timers_of_live_items,
    one_running_timer,
    sprint_membership,
    created_activity,
)
