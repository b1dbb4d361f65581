"""PostgreSQL's one-statement writes: `Executor.write_all` puts every write in a WITH list
and selects what the returning ones returned."""

from __future__ import annotations

from pm.db.postgres import _combined
from pm.db.query import sql

ITEM = sql("INSERT INTO a (x, y) VALUES (:x, :y)")
LOG = sql("INSERT INTO b (x, z) VALUES (:x, :z)")
EVENT = sql("INSERT INTO c (n) VALUES ((SELECT max(n) FROM c) + :step) RETURNING n")
CLAIM = sql("INSERT INTO k (key) VALUES (:key) ON CONFLICT (key) DO NOTHING RETURNING 1")
WALK = sql(
    "WITH RECURSIVE r(n) AS (SELECT :start UNION ALL SELECT n + 1 FROM r WHERE n < :stop) "
    "INSERT INTO d (n) SELECT n FROM r RETURNING n"
)


def test_each_part_numbers_its_parameters_past_the_ones_before() -> None:
    assert _combined((ITEM, LOG, EVENT, CLAIM), 2) == (
        "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), "
        "w1 AS (INSERT INTO b (x, z) VALUES ($3, $4)), "
        "w2 AS (INSERT INTO c (n) VALUES ((SELECT max(n) FROM c) + $5) RETURNING n), "
        "w3 AS (INSERT INTO k (key) VALUES ($6) ON CONFLICT (key) DO NOTHING RETURNING 1) "
        "SELECT (SELECT * FROM w2 LIMIT 1), (SELECT * FROM w3 LIMIT 1)"
    )


def test_writes_alone_select_nothing_of_them() -> None:
    assert _combined((ITEM, LOG), 0) == (
        "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), "
        "w1 AS (INSERT INTO b (x, z) VALUES ($3, $4)) SELECT 1"
    )


def test_a_part_with_its_own_with_list_keeps_it_inside() -> None:
    assert _combined((ITEM, WALK), 1) == (
        "WITH w0 AS (INSERT INTO a (x, y) VALUES ($1, $2)), "
        "w1 AS (WITH RECURSIVE r(n) AS (SELECT $3 UNION ALL SELECT n + 1 FROM r WHERE n < $4) "
        "INSERT INTO d (n) SELECT n FROM r RETURNING n) SELECT (SELECT * FROM w1 LIMIT 1)"
    )
