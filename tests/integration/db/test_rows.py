"""Row mapping: inserts name only the fields that are set, enums are stored as their value."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from pm.db.rows import insert_query, mapper, update_query


class Colour(StrEnum):
    RED = "red"


@dataclass(frozen=True, slots=True)
class Thing:
    id: str
    colour: Colour
    note: str | None
    size: int | None


def _conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE things (id TEXT PRIMARY KEY, colour TEXT, note TEXT, size INT)")
    return conn


def test_a_row_names_only_its_set_fields_and_stores_none_as_null() -> None:
    insert = insert_query("things", Thing)
    query, params = insert.one(Thing("a", Colour.RED, None, 3))
    assert params == {"id": "a", "colour": "red", "size": 3}
    assert type(params["colour"]) is str  # bound as a plain str: no adaptation lookup
    assert "note" not in query.statement.text  # type: ignore[attr-defined]
    conn = _conn()
    conn.execute(query.statement.text, params)  # type: ignore[attr-defined]
    assert conn.execute("SELECT * FROM things").fetchall() == [("a", "red", None, 3)]


def test_one_statement_per_set_of_fields() -> None:
    insert = insert_query("things", Thing)
    first, _ = insert.one(Thing("a", Colour.RED, None, 3))
    second, _ = insert.one(Thing("b", Colour.RED, None, 4))
    other, _ = insert.one(Thing("c", Colour.RED, "n", None))
    assert first is second
    assert other is not first


def test_many_rows_share_the_full_statement() -> None:
    insert = insert_query("things", Thing)
    rows = [Thing("a", Colour.RED, None, 1), Thing("b", Colour.RED, "n", None)]
    query, params = insert.many(rows)
    assert query is insert.full
    conn = _conn()
    conn.executemany(query.statement.text, params)  # type: ignore[attr-defined]
    read = mapper(Thing, colour=Colour)
    assert [read(r) for r in conn.execute("SELECT * FROM things ORDER BY id")] == rows


def test_updates_are_cached_per_column_set() -> None:
    assert update_query("things", ["note"]) is update_query("things", ("note",))
    assert update_query("things", ["note"]) is not update_query("things", ["size"])
