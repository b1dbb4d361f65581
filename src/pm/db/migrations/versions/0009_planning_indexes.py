"""indexes for ready work and the critical path: live `blocks` links both ways, and the
status index of work items covers what the two read

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Ready work checks every open item of a project for an open blocker, and the critical path
follows every open item's links: with these, each check is one index lookup, the items are
read from the status index alone, and no `blocks` link is read from the table. The status
index keeps its key (project, status, item_number) first, so the lists filtered by status
use it as before; no index is added to work items (a new item writes as many b-trees).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")
LIVE_BLOCKS = sa.text("dependency_type = 'blocks' AND deleted_at IS NULL")
STATUS_INDEX = "ix_pm_work_items_project_status"
STATUS_KEY = ["project_id", "status", "item_number"]
# What ready work and the critical path read of an item (deleted_at is always NULL in this
# partial index, but SQLite counts an index as covering only if it holds every column used).
PLANNING_COLUMNS = [
    "item_type",
    "priority",
    "position",
    "sprint_id",
    "assignee_id",
    "story_points",
    "id",
    "deleted_at",
]
BLOCKS_INDEXES = (
    ("ix_pm_dependencies_blocks_blocked", ["blocked_item_id", "blocking_item_id"]),
    ("ix_pm_dependencies_blocks_blocking", ["blocking_item_id", "blocked_item_id"]),
)


def _status_index(columns: list[str]) -> None:
    op.drop_index(STATUS_INDEX, table_name="pm_work_items")
    op.create_index(
        STATUS_INDEX, "pm_work_items", columns, sqlite_where=LIVE, postgresql_where=LIVE
    )


def upgrade() -> None:
    _status_index(STATUS_KEY + PLANNING_COLUMNS)
    for name, columns in BLOCKS_INDEXES:
        op.create_index(
            name,
            "pm_dependencies",
            columns,
            sqlite_where=LIVE_BLOCKS,
            postgresql_where=LIVE_BLOCKS,
        )


def downgrade() -> None:
    for name, _ in BLOCKS_INDEXES:
        op.drop_index(name, table_name="pm_dependencies")
    _status_index(STATUS_KEY)
