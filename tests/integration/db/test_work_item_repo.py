"""Work item rows: an update writes the columns it names (and the version stamp), no more."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pm.core.enums import Priority, WorkItemType
from pm.core.work_items import WorkItem
from pm.db.migrate import upgrade_sqlite
from pm.db.repos import work_items as repo
from pm.db.sqlite import SqliteExecutor, connect


@pytest.fixture
def ex(tmp_path: Path) -> SqliteExecutor:
    path = tmp_path / "t.db"
    upgrade_sqlite(path)
    conn = connect(path, synchronous="NORMAL")
    conn.execute("PRAGMA foreign_keys=OFF")  # a lone item row, without its project
    return SqliteExecutor(conn)


ITEM = WorkItem(
    "i1", "p1", WorkItemType.STORY, 1, "P-1", None, 1, "title", None, "backlog",
    Priority.MEDIUM, None, None, None, 1, 100, 100, "alice", "alice", None,
)  # fmt: skip


async def test_update_writes_only_the_named_columns_and_the_stamp(ex: SqliteExecutor) -> None:
    await ex.run(*repo.inserting(ITEM))
    changed = replace(ITEM, title="new", status="done", version=2, updated_at=200, updated_by="bob")
    await repo.update(ex, changed, ["title"])
    stored = await repo.get(ex, "i1")
    assert stored == replace(ITEM, title="new", version=2, updated_at=200, updated_by="bob")
    await repo.update(ex, changed)  # every writable column
    assert await repo.get(ex, "i1") == changed


async def test_update_refuses_columns_that_are_not_writable(ex: SqliteExecutor) -> None:
    with pytest.raises(ValueError, match="project_id"):
        await repo.update(ex, ITEM, ["project_id"])
