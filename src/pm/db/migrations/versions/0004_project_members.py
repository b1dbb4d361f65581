"""project membership (viewer / editor / admin); existing creators become admins

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pm_project_members",
        sa.Column("project_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("updated_by", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["pm_projects.id"],
            name=op.f("fk_pm_project_members_project_id_pm_projects"),
        ),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_pm_project_members")),
    )
    op.create_index("ix_pm_project_members_user", "pm_project_members", ["user_id", "project_id"])
    op.execute(
        "INSERT INTO pm_project_members (project_id, user_id, role, created_at, updated_at, "
        "created_by, updated_by) SELECT id, created_by, 'admin', created_at, created_at, "
        "created_by, created_by FROM pm_projects"
    )


def downgrade() -> None:
    op.drop_index("ix_pm_project_members_user", table_name="pm_project_members")
    op.drop_table("pm_project_members")
