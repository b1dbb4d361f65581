"""The planning and key statements give the same answers on SQLite and PostgreSQL.

Both databases get the schema from `pm.db.tables` and the same rows; each statement runs
compiled for its dialect. (PostgreSQL tests skip when the server is not running.)
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, insert, text
from sqlalchemy.exc import OperationalError

from pm.db import tables
from pm.db.query import Query
from pm.db.repos import planning
from pm.db.repos import projects as project_repo
from pm.db.repos import work_items as item_repo
from pm.db.repos.planning import ReadyFilter
from pm.db.repos.work_items import ItemFilter

URL = os.environ.get("PM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
pytestmark = pytest.mark.postgres

AUDIT = {"created_at": 0, "updated_at": 0, "created_by": "u", "updated_by": "u"}


def _item(n: int, project: str = "p1", **fields: Any) -> dict[str, Any]:
    # Every row names every column: a multi-row insert takes its columns from the first.
    values: dict[str, Any] = {
        "id": f"i{n:02}",
        "project_id": project,
        "item_type": "story",
        "item_number": n,
        "key": f"{project.upper()}-{n}",
        "parent_id": None,
        "position": n,
        "title": f"item {n}",
        "status": "backlog",
        "priority": "medium",
        "description": None,
        "story_points": None,
        "assignee_id": None,
        "sprint_id": None,
        "version": 1,
        **AUDIT,
    }
    values.update(fields)
    return values


def _seed(conn: Connection) -> None:
    conn.execute(
        insert(tables.projects),
        [
            {
                "id": p,
                "key": p.upper(),
                "title": p,
                "status": "active",
                "version": 1,
                "next_work_item_number": 20,
                **AUDIT,
            }
            for p in ("p1", "p2")
        ],
    )
    lanes = ("backlog", "in_progress", "done", "released")
    conn.execute(
        insert(tables.swim_lanes),
        [
            {
                "id": f"{p}-{s}",
                "project_id": p,
                "name": s,
                "status_value": s,
                "position": i,
                "is_default": s != "released",
                "created_at": 0,
                "updated_at": 0,
            }
            for p in ("p1", "p2")
            for i, s in enumerate(lanes)
        ],
    )
    conn.execute(
        insert(tables.sprints),
        [
            {
                "id": "s1",
                "project_id": "p1",
                "name": "S",
                "start_date": 0,
                "end_date": 1,
                "status": "active",
                "version": 1,
                **AUDIT,
            }
        ],
    )
    conn.execute(
        insert(tables.work_items),
        [
            _item(1, item_type="epic"),
            _item(2, parent_id="i01", priority="high", story_points=3),
            _item(3, item_type="task", parent_id="i02", sprint_id="s1", story_points=5),
            _item(4, status="done"),
            _item(5, status="released", story_points=13),
            _item(6, priority="critical"),
            _item(7, assignee_id="bob"),
            _item(8, item_type="task", parent_id="i02", story_points=2, sprint_id="s1"),
            _item(9, project="p2"),
            _item(10, priority="low"),
        ],
    )
    conn.execute(
        insert(tables.dependencies),
        [
            {
                "id": f"d{n}",
                "blocking_item_id": a,
                "blocked_item_id": b,
                "dependency_type": kind,
                "created_at": 0,
                "created_by": "u",
            }
            for n, (a, b, kind) in enumerate(
                [
                    ("i02", "i03", "blocks"),
                    ("i06", "i03", "blocks"),
                    ("i04", "i07", "blocks"),  # done: no longer blocks
                    ("i05", "i08", "blocks"),  # released (after done): no longer blocks
                    ("i09", "i06", "blocks"),  # open, in another project
                    ("i07", "i08", "relates_to"),
                    ("i08", "i06", "blocks"),
                    ("i07", "i10", "blocks"),  # i07 is the last open blocker of i10
                ]
            )
        ],
    )


CASES: list[tuple[str, Query, dict[str, Any]]] = []
for name, flt in (
    ("all", ReadyFilter()),
    ("assignee", ReadyFilter(assignee_id="bob")),
    ("sprint", ReadyFilter(sprint_id="s1")),
):
    query, values = planning._ready_query(flt)
    CASES.append((f"ready {name}", query, {**values, "project_id": "p1", "limit": 50}))
CASES.append(("critical path graph", planning._GRAPH, {"project_id": "p1"}))
for name, item_filter in (
    ("descendants", ItemFilter(descendants_of="i01")),
    ("ancestors", ItemFilter(ancestors_of="i03")),
    ("not done, orphaned", ItemFilter(include_done=False, orphaned=True)),
):
    query, values = item_repo._list_query(item_filter)
    CASES.append((f"list {name}", query, {**values, "project_id": "p1", "after": 0, "limit": 50}))
CASES.append(("project by key", project_repo._GET_WITH_ROLE["key"], {"id": "P1", "user_id": "u"}))
CASES.append(
    ("item many", item_repo._GET_MANY, {f"id{i}": "i0" + str(1 + i % 9) for i in range(100)})
)


@pytest.fixture(scope="module")
def engines() -> Iterator[tuple[Connection, Connection]]:
    """The seeded SQLite and PostgreSQL connections."""
    lite = create_engine("sqlite://")
    pg = create_engine(URL)
    try:
        pg.connect().close()
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {URL}: {exc.orig}")
    schema = f"portable_{uuid.uuid4().hex[:12]}"
    with lite.connect() as a, pg.connect() as b:
        b.execute(text(f'CREATE SCHEMA "{schema}"'))
        b.execute(text(f'SET search_path TO "{schema}"'))
        b.commit()
        try:
            for conn in (a, b):
                tables.metadata.create_all(conn)
                _seed(conn)
            yield a, b
        finally:
            b.rollback()
            b.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            b.commit()
    pg.dispose()


@pytest.mark.parametrize(("name", "query", "params"), CASES, ids=[c[0] for c in CASES])
def test_both_engines_give_the_same_answer(
    engines: tuple[Connection, Connection], name: str, query: Query, params: dict[str, Any]
) -> None:
    lite, pg = engines
    answers = []
    for conn in (lite, pg):
        sql, bound = _compiled(conn, query, params)
        answers.append([tuple(row) for row in conn.exec_driver_sql(sql, bound)])
    unordered = name in ("critical path graph", "item many")  # no ORDER BY
    lite_rows, pg_rows = (sorted(a, key=repr) if unordered else a for a in answers)
    assert lite_rows == pg_rows
    assert lite_rows, f"{name}: the seed should give this statement something to find"


def _compiled(conn: Connection, query: Query, params: dict[str, Any]) -> tuple[str, Any]:
    """The statement as this driver takes it, with its parameters.

    Compiled here rather than through `Query.for_dialect`, whose per-dialect-name cache the
    server's own executors share: these drivers' parameter styles must not land in it.
    """
    compiled = query.statement.compile(dialect=conn.dialect)
    positions = getattr(compiled, "positiontup", None)
    if conn.dialect.positional and positions:
        return compiled.string, tuple(params[p] for p in positions)
    return compiled.string, params
