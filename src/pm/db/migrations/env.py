"""Alembic environment: runs on a connection handed in by pm.db.migrate (any dialect), or
renders the SQL of a range of revisions for a dialect (offline mode, for PostgreSQL schemas)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from pm.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    schema = config.attributes.get("schema")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        version_table_schema=schema,
    )
    with context.begin_transaction():
        context.run_migrations()


def _render() -> None:
    # The caller runs the script inside its own transaction, with search_path set to the
    # tenant's schema: no BEGIN/COMMIT, every name unqualified.
    context.configure(
        dialect_name=config.attributes.get("dialect", "postgresql"),
        target_metadata=metadata,
        literal_binds=True,
        transactional_ddl=False,
        output_buffer=config.attributes["buffer"],
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if context.is_offline_mode():
    _render()
elif connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("pm migrations need a connection or sqlalchemy.url")
    with create_engine(url).begin() as conn:
        _run(conn)
