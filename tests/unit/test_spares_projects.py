"""Which statements leave a project's rows as a creation read them (`Query.spares_projects`),
and how a unit's executor adds them up (`Deferring.spared`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy.sql.expression import ClauseElement

from pm.db.executor import NO_PARAMS, Deferring, Params, Statement
from pm.db.query import Query, Row, sql
from pm.db.repos import activity, events, idempotency, projects, work_items


@pytest.mark.parametrize(
    ("text", "spares"),
    [
        ("INSERT INTO pm_work_items (id) VALUES (:id)", True),
        ("DELETE FROM pm_events WHERE seq < :seq", True),
        ("SELECT role FROM pm_project_members WHERE user_id = :u", True),
        ("  select * from pm_projects", True),
        ("UPDATE pm_projects SET title = :t WHERE id = :id", False),
        ("INSERT INTO pm_project_members (project_id) VALUES (:p)", False),
        ("UPDATE pm_swim_lanes SET deleted_at = :now", False),
        ("WITH x AS (UPDATE pm_projects SET title = 't' RETURNING id) SELECT id FROM x", False),
    ],
)
def test_the_text_tells(text: str, spares: bool) -> None:
    assert sql(text).spares_projects is spares


def test_a_dialect_variant_counts_too() -> None:
    assert not sql("SELECT 1", postgresql="UPDATE pm_projects SET title = 't'").spares_projects


class _NoText(ClauseElement):
    __visit_name__ = "a_construct_no_dialect_knows"


def test_a_statement_without_a_generic_text_may_change_them() -> None:
    assert not Query(_NoText()).spares_projects


def test_a_write_may_declare_it() -> None:
    assert sql("UPDATE pm_projects SET title = 't'", spares_projects=True).spares_projects


def test_what_a_creation_writes_spares_the_projects() -> None:
    taken_advance = projects.advancing_numbers("p", 1)[0]
    assert taken_advance.spares_projects  # the memo follows it
    written: list[Query] = [
        events._INSERT,
        events._INSERT_NUMBERED,
        idempotency._PUT,
        activity._INSERT.full,
        work_items._INSERT.full,
    ]
    assert all(q.spares_projects for q in written)


class _Inner:
    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        return None

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        return []

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        return 0

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        return None

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        return [None for _ in returning]


@pytest.mark.parametrize("how", ["one", "all", "run", "later", "write_all", "returning"])
def test_one_statement_that_may_change_a_project_is_enough(how: str) -> None:
    ex = Deferring(_Inner())
    read = sql("SELECT 1 FROM pm_projects")
    change = sql("UPDATE pm_projects SET title = 't'")

    async def go() -> None:
        await ex.one(read)
        await ex.write_all([(sql("INSERT INTO pm_events (seq) VALUES (1)"), {})])
        assert ex.spared
        if how == "one":
            await ex.one(change)
        elif how == "all":
            await ex.all(change)
        elif how == "run":
            await ex.run(change)
        elif how == "later":
            ex.later((change, {}))
        elif how == "write_all":
            await ex.write_all([(change, {})])
        else:
            await ex.write_all([], [(change, {})])

    asyncio.run(go())
    assert not ex.spared
