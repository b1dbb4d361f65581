"""work item indexes on parent, sprint and assignee hold only the items that have one

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "pm_work_items"
# name, columns, the index's condition before, and after this revision
INDEXES = (
    (
        "ix_pm_work_items_project_assignee",
        ["project_id", "assignee_id", "item_number"],
        "deleted_at IS NULL",
        "assignee_id IS NOT NULL AND deleted_at IS NULL",
    ),
    ("ix_pm_work_items_parent", ["parent_id"], None, "parent_id IS NOT NULL"),
    ("ix_pm_work_items_sprint", ["sprint_id", "item_number"], None, "sprint_id IS NOT NULL"),
)


def _create(name: str, columns: list[str], where: str | None) -> None:
    condition = None if where is None else sa.text(where)
    op.create_index(name, TABLE, columns, sqlite_where=condition, postgresql_where=condition)


def upgrade() -> None:
    for name, columns, _, after in INDEXES:
        op.drop_index(name, table_name=TABLE)
        _create(name, columns, after)


def downgrade() -> None:
    for name, columns, before, _ in INDEXES:
        op.drop_index(name, table_name=TABLE)
        _create(name, columns, before)
