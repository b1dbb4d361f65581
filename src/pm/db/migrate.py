"""Running Alembic migrations on tenant databases, and the migrated template new tenants copy."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent / "migrations"
# Alembic's command API swaps module globals (`alembic.context`, `alembic.op`) in and out:
# two runs in two threads at once break each other, so they take turns.
_ALEMBIC = threading.Lock()


def alembic_config(connection: Connection | None = None, schema: str | None = None) -> Config:
    """An Alembic Config for our migrations, bound to `connection` when given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    cfg.attributes["schema"] = schema
    return cfg


@cache
def head_revision() -> str:
    """The newest migration revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(conn: sqlite3.Connection) -> str | None:
    """The revision a SQLite database is at (None when never migrated)."""
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return None if row is None else str(row[0])


def upgrade_sqlite(path: Path) -> None:
    """Migrate the SQLite database at `path` to head (blocking; run it off the loop)."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with _ALEMBIC, engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
    finally:
        engine.dispose()


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock shared by every process using this data directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def template_path(base: Path) -> Path:
    """A migrated, empty tenant database for the current head; built once, then copied."""
    target = base / ".template" / f"{head_revision()}.db"
    if target.exists():
        return target
    with file_lock(base / ".template" / "build.lock"):
        if not target.exists():
            scratch = target.with_suffix(".building")
            scratch.unlink(missing_ok=True)
            upgrade_sqlite(scratch)
            os.replace(scratch, target)
    return target


def create_from_template(base: Path, path: Path) -> None:
    """Create a tenant database at `path` by copying the template (atomically)."""
    template = template_path(base)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".creating")
    shutil.copyfile(template, scratch)
    with open(scratch, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(scratch, path)


@cache
def render_upgrade(from_revision: str | None, dialect: str = "postgresql") -> str:
    """The SQL that upgrades a schema from `from_revision` (None: empty) to head.

    Rendered once per process by Alembic's offline mode, with every name unqualified and no
    BEGIN/COMMIT: the caller runs it in its own transaction, `search_path` set to the
    tenant's schema (the PostgreSQL counterpart of the SQLite template).
    """
    import io

    cfg = alembic_config()
    buffer = io.StringIO()
    cfg.attributes["buffer"] = buffer
    cfg.attributes["dialect"] = dialect
    target = "head" if from_revision is None else f"{from_revision}:head"
    with _ALEMBIC:
        command.upgrade(cfg, target, sql=True)
    return buffer.getvalue()
