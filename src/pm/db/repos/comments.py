"""pm_comments."""

from __future__ import annotations

from pm.core.comments import Comment
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(Comment)
_row = mapper(Comment)
_WRITE_FIELDS = ("content", "updated_at", "updated_by", "deleted_at")

_GET = sql(f"SELECT {COLS} FROM pm_comments WHERE id = :id AND deleted_at IS NULL")
_LIST = sql(
    f"SELECT {COLS} FROM pm_comments WHERE work_item_id = :work_item_id "
    "AND deleted_at IS NULL AND id > :after ORDER BY id LIMIT :limit"
)
_INSERT = insert_query("pm_comments", Comment)
_UPDATE = update_query("pm_comments", _WRITE_FIELDS)


async def get(ex: Executor, comment_id: str) -> Comment | None:
    """A live comment by id."""
    row = await ex.one(_GET, {"id": comment_id})
    return None if row is None else _row(row)


async def list_for_item(ex: Executor, work_item_id: str, after: str, limit: int) -> list[Comment]:
    """Live comments on a work item, oldest first, after the cursor id."""
    rows = await ex.all(_LIST, {"work_item_id": work_item_id, "after": after, "limit": limit})
    return [_row(r) for r in rows]


async def insert(ex: Executor, comment: Comment) -> None:
    """Store a new comment."""
    await ex.run(*_INSERT.one(comment))


async def update(ex: Executor, comment: Comment) -> None:
    """Store a changed comment."""
    await ex.run(_UPDATE, params(comment, (*_WRITE_FIELDS, "id")))
