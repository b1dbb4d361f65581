"""The work item queries use an index for every filter: none scans the whole table.

(Children of one parent are listed through the project's number index, in item order; the
tree queries are the ones that need the parent index.)
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pm.db.migrate import upgrade_sqlite
from pm.db.query import Query
from pm.db.repos import planning as planning_repo
from pm.db.repos import projects as projects_repo
from pm.db.repos import work_items as repo
from pm.db.repos.planning import ReadyFilter
from pm.db.repos.work_items import ItemFilter
from pm.db.sqlite import DIALECT


def _plan(conn: sqlite3.Connection, query: Query, params: dict[str, object]) -> str:
    sql = query.for_dialect(DIALECT).sql
    return "\n".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path: Path = tmp_path_factory.mktemp("plans") / "t.db"
    upgrade_sqlite(path)
    db = sqlite3.connect(path)
    db.execute("ANALYZE")
    return db


@pytest.mark.parametrize(
    ("flt", "index"),
    [
        (ItemFilter(), "ix_pm_work_items_project_number"),
        (ItemFilter(status="done"), "ix_pm_work_items_project_status"),
        (ItemFilter(item_type="story"), "ix_pm_work_items_project_type"),  # type: ignore[arg-type]
        (ItemFilter(assignee_id="bob"), "ix_pm_work_items_project_assignee"),
        (ItemFilter(sprint_id="s"), "ix_pm_work_items_sprint"),
    ],
)
def test_each_list_filter_uses_its_index(
    conn: sqlite3.Connection, flt: ItemFilter, index: str
) -> None:
    query, values = repo._list_query(flt)
    plan = _plan(conn, query, {**values, "project_id": "p", "after": 0, "limit": 51})
    assert index in plan, plan


@pytest.mark.parametrize(
    "flt",
    [
        ItemFilter(descendants_of="x"),
        ItemFilter(ancestors_of="x"),
        ItemFilter(include_done=False, orphaned=True),
    ],
    ids=["descendants_of", "ancestors_of", "not done, orphaned"],
)
def test_the_tree_and_done_filters_scan_no_table(conn: sqlite3.Connection, flt: ItemFilter) -> None:
    query, values = repo._list_query(flt)
    plan = _plan(conn, query, {**values, "project_id": "p", "after": 0, "limit": 51})
    assert "SCAN pm_work_items\n" not in plan + "\n", plan
    assert "SCAN pm_swim_lanes" not in plan, plan


@pytest.mark.parametrize(("by", "value"), [("id", "p"), ("key", "P")], ids=["by id", "by key"])
def test_a_project_is_found_by_id_or_key_through_an_index(
    conn: sqlite3.Connection, by: str, value: str
) -> None:
    plan = _plan(conn, projects_repo._GET_WITH_ROLE[by], {"id": value, "user_id": "u"})
    assert "SCAN" not in plan, plan


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (repo._DESCENDANTS, "ix_pm_work_items_parent"),
        (repo._IN_SPRINT, "ix_pm_work_items_sprint"),
    ],
)
def test_tree_and_sprint_queries_use_the_sparse_indexes(
    conn: sqlite3.Connection, query: Query, index: str
) -> None:
    plan = _plan(conn, query, {"id": "x", "sprint_id": "s"})
    assert index in plan, plan
    assert "SCAN pm_work_items\n" not in plan + "\n", plan


@pytest.mark.parametrize(
    ("query", "params"),
    [
        (projects_repo._NEXT_NUMBER["id"], {"id": "p", "user_id": "u", "status": "done"}),
        (projects_repo._NEXT_NUMBER["key"], {"id": "P", "user_id": "u", "status": "done"}),
        (repo._GET_WITH_ROLE_AND_LANE, {"id": "w", "user_id": "u", "status": "done"}),
        (
            repo._BY_KEY_WITH_ROLE_AND_LANE,
            {"project_key": "P", "number": 1, "user_id": "u", "status": "done"},
        ),
    ],
)
def test_the_one_statement_write_lookups_scan_nothing(
    conn: sqlite3.Connection, query: Query, params: dict[str, object]
) -> None:
    # Creating an item and changing its status each read the project or item, the role and
    # the status lane in one statement: every part of it is an index lookup.
    plan = _plan(conn, query, params)
    assert "SCAN" not in plan, plan
    assert "uq_pm_swim_lanes_project_status" in plan, plan


# Ready work and the critical path read every open item of a project.
_PLANNING = [
    *(
        planning_repo._ready_query(flt)[0]
        for flt in (ReadyFilter(), ReadyFilter(assignee_id="a", sprint_id="s"))
    ),
    planning_repo._GRAPH,
]
_PARAMS = {"project_id": "p", "limit": 50, "assignee_id": "a", "sprint_id": "s"}


@pytest.mark.parametrize("query", [*_PLANNING, planning_repo._BLOCKED], ids=repr)
def test_planning_follows_blocks_links_through_their_own_index(
    conn: sqlite3.Connection, query: Query
) -> None:
    plan = _plan(conn, query, _PARAMS)
    assert "SCAN pm_" not in plan, plan
    assert "SCAN w\n" not in plan + "\n", plan
    assert "AUTOMATIC" not in plan, plan
    assert "ix_pm_dependencies_blocks_" in plan, plan


@pytest.mark.parametrize("query", _PLANNING, ids=repr)
def test_planning_reads_the_projects_items_from_the_status_index_alone(
    conn: sqlite3.Connection, query: Query
) -> None:
    plan = _plan(conn, query, _PARAMS)
    assert "COVERING INDEX ix_pm_work_items_project_status" in plan, plan
