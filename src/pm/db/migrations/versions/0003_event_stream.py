"""event stream (pm_event_seq, pm_events) and one active sprint per project

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    seq = op.create_table(
        "pm_event_seq",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pm_event_seq")),
    )
    op.bulk_insert(seq, [{"id": 1, "last_seq": 0}])
    op.create_table(
        "pm_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=255), nullable=False),
        sa.Column("project_id", sa.String(length=36), nullable=True),
        sa.Column("sprint_ids", sa.Text(), nullable=False),
        sa.Column("work_item_ids", sa.Text(), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_pm_events")),
    )
    op.create_index("ix_pm_events_project_seq", "pm_events", ["project_id", "seq"])
    active = sa.text("status = 'active' AND deleted_at IS NULL")
    op.create_index(
        "uq_pm_sprints_one_active",
        "pm_sprints",
        ["project_id"],
        unique=True,
        sqlite_where=active,
        postgresql_where=active,
    )


def downgrade() -> None:
    op.drop_index("uq_pm_sprints_one_active", table_name="pm_sprints")
    op.drop_index("ix_pm_events_project_seq", table_name="pm_events")
    op.drop_table("pm_events")
    op.drop_table("pm_event_seq")
