"""PostgreSQL's one-statement writes: `Executor.one_after` puts the writes in a WITH list."""

from __future__ import annotations

from pm.db.postgres import _combined
from pm.db.query import sql

ITEM = sql("INSERT INTO a (x, y) VALUES (:x, :y)")
LOG = sql("INSERT INTO b (x, z) VALUES (:x, :z)")
EVENT = sql("INSERT INTO c (n) VALUES ((SELECT max(n) FROM c) + :step) RETURNING n")
WALK = sql(
    "WITH RECURSIVE r(n) AS (SELECT :start UNION ALL SELECT n + 1 FROM r WHERE n < :stop) "
    "SELECT count(*) FROM r"
)


def test_each_part_numbers_its_parameters_past_the_ones_before() -> None:
    assert _combined((ITEM, LOG), EVENT) == (
        "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), "
        "w1 AS (INSERT INTO b (x, z) VALUES ($3, $4)) "
        "INSERT INTO c (n) VALUES ((SELECT max(n) FROM c) + $5) RETURNING n"
    )


def test_a_final_statement_with_its_own_with_list_shares_it() -> None:
    assert _combined((ITEM,), WALK) == (
        "WITH RECURSIVE w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), "
        "r(n) AS (SELECT $3 UNION ALL SELECT n + 1 FROM r WHERE n < $4) SELECT count(*) FROM r"
    )
