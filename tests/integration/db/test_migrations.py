"""Migrations: they build exactly the schema of pm.db.tables, and go down and up again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.dialects import sqlite
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateIndex

from pm.db.migrate import alembic_config, head_revision, upgrade_sqlite
from pm.db.tables import metadata


def test_migrated_schema_matches_the_tables(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    upgrade_sqlite(path)
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    upgrade_sqlite(path)
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade_sqlite(path)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
    engine.dispose()


def test_migrated_indexes_have_the_tables_conditions(tmp_path: Path) -> None:
    """compare_metadata ignores partial-index conditions: compare the SQL itself."""
    path = tmp_path / "t.db"
    upgrade_sqlite(path)
    dialect = sqlite.dialect()
    expected = {
        index.name: " ".join(str(CreateIndex(index).compile(dialect=dialect)).split())
        for table in metadata.tables.values()
        for index in table.indexes
    }
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
    )
    actual = {name: " ".join(sql.split()) for name, sql in rows}
    conn.close()
    assert actual == expected
