"""The same migrations run on PostgreSQL (a schema per tenant), up and down again."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from pm.db.migrate import alembic_config, head_revision
from pm.db.tables import metadata

URL = os.environ.get("PM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema() -> Iterator[tuple[Engine, str]]:
    """A fresh schema on the local PostgreSQL (skipped when the server is not running)."""
    engine = create_engine(URL)
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {URL}: {exc.orig}")
    name = f"tenant_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield engine, name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


def test_migrations_build_the_schema_on_postgres(schema: tuple[Engine, str]) -> None:
    engine, name = schema
    with engine.begin() as conn:
        conn.execute(text(f'SET search_path TO "{name}"'))
        command.upgrade(alembic_config(conn, schema=name), "head")
    with engine.begin() as conn:
        conn.execute(text(f'SET search_path TO "{name}"'))
        context = MigrationContext.configure(conn, opts={"version_table_schema": name})
        assert context.get_current_revision() == head_revision()
        drift = [
            d
            for d in compare_metadata(context, metadata)
            if not (d[0] == "remove_table" and d[1].name == "alembic_version")
        ]
        assert drift == []
        seeded = conn.execute(text("SELECT COUNT(*) FROM pm_llm_context")).scalar_one()
        assert seeded > 40
    tables = set(inspect(engine).get_table_names(schema=name))
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_migrations_go_down_and_up_again_on_postgres(schema: tuple[Engine, str]) -> None:
    engine, name = schema
    with engine.begin() as conn:
        conn.execute(text(f'SET search_path TO "{name}"'))
        command.upgrade(alembic_config(conn, schema=name), "head")
        command.downgrade(alembic_config(conn, schema=name), "base")
    assert set(inspect(engine).get_table_names(schema=name)) == {"alembic_version"}
    with engine.begin() as conn:
        conn.execute(text(f'SET search_path TO "{name}"'))
        command.upgrade(alembic_config(conn, schema=name), "head")
    assert "pm_work_items" in inspect(engine).get_table_names(schema=name)


def test_llm_context_example_queries_run_on_postgres(schema: tuple[Engine, str]) -> None:
    engine, name = schema
    with engine.begin() as conn:
        conn.execute(text(f'SET search_path TO "{name}"'))
        command.upgrade(alembic_config(conn, schema=name), "head")
        examples = conn.execute(
            text("SELECT title, example_sql FROM pm_llm_context WHERE example_sql IS NOT NULL")
        ).all()
        assert examples
        for _title, example in examples:
            query = text(example)
            params = dict.fromkeys(query.compile().params)  # NULL for every parameter
            with conn.begin_nested():
                conn.execute(query, params)  # raises unless it parses and runs on PostgreSQL
