"""project membership (viewer / editor / admin); existing creators become admins

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The same id scheme as revision 0002: uuid5 of the title in its namespace.
NAMESPACE = uuid.UUID("6f1c2b8e-4d0a-5e7b-9c3d-2a1f0e9b8c7d")
llm_context = sa.table(
    "pm_llm_context",
    sa.column("id", sa.String),
    sa.column("context_type", sa.String),
    sa.column("category", sa.String),
    sa.column("title", sa.String),
    sa.column("content", sa.Text),
    sa.column("example_sql", sa.Text),
    sa.column("example_description", sa.Text),
    sa.column("priority", sa.Integer),
)
DOCS: list[dict[str, object]] = [
    {
        "id": str(uuid.uuid5(NAMESPACE, "Table pm_project_members")),
        "context_type": "schema",
        "category": "projects",
        "title": "Table pm_project_members",
        "content": "Who may do what in a project. project_id, user_id: the member (the token's "
        "sub). role: 'viewer' (reads), 'editor' (also changes work items, sprints, comments, "
        "time entries, dependencies) or 'admin' (also manages members, swim lanes and the "
        "project itself). created_at, updated_at, created_by, updated_by. The creator of a "
        "project is its first admin; a project always keeps at least one admin.",
        "example_sql": "SELECT user_id, role FROM pm_project_members "
        "WHERE project_id = :project_id ORDER BY user_id",
        "example_description": "The members of a project and their roles.",
        "priority": 80,
    },
    {
        "id": str(uuid.uuid5(NAMESPACE, "Roles and access")),
        "context_type": "business_rule",
        "category": "projects",
        "title": "Roles and access",
        "content": "Only members of a project see it: to anyone else it answers 404 as if it "
        "did not exist. Viewers read; editors change work; admins manage members, lanes and "
        "the project (403 when the role is missing). A token whose roles claim holds the "
        "tenant admin role may do everything in its tenant. Members are managed with "
        "PUT/DELETE /projects/{id}/members/{user_id}.",
        "example_sql": None,
        "example_description": None,
        "priority": 90,
    },
]


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
    op.bulk_insert(llm_context, DOCS)


def downgrade() -> None:
    op.execute(llm_context.delete().where(llm_context.c.id.in_([d["id"] for d in DOCS])))
    op.drop_index("ix_pm_project_members_user", table_name="pm_project_members")
    op.drop_table("pm_project_members")
