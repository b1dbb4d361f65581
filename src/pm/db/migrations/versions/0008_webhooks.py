"""webhook subscriptions, their deliveries and every delivery attempt

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
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


def _doc(title: str, content: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid5(NAMESPACE, title)),
        "context_type": "schema",
        "category": "webhooks",
        "title": title,
        "content": content,
        "example_sql": None,
        "example_description": None,
        "priority": 40,
    }


DOCS = [
    _doc(
        "Table pm_webhooks",
        "Webhook subscriptions (docs/webhooks.md). id; url (http or https, checked to be a "
        "public address); event_types (space-separated `<entity>.<action>` types, or *); "
        "project_id (null: the whole tenant); description; enabled; secret and "
        "previous_secret (whsec_ signing secrets; the previous one signs until "
        "previous_secret_until); cursor_seq (the last pm_events seq looked at); "
        "failing_since (when deliveries began to fail); disabled_reason; version; "
        "created_at, updated_at, created_by, updated_by, deleted_at.",
    ),
    _doc(
        "Table pm_webhook_deliveries",
        "id; one event (seq from pm_events; null for a webhook.test ping) for one subscription "
        "(webhook_id). event_type; body (the JSON sent); status: pending, delivered or "
        "failed; attempts; next_attempt_at (Unix seconds); lease_until (a sender holds it "
        "until then); last_status_code; created_at, updated_at.",
    ),
    _doc(
        "Table pm_webhook_attempts",
        "id; every try at a delivery (delivery_id): attempted_at, status_code (null when no "
        "answer came), latency_ms, response_excerpt (the first KiB of the answer), error.",
    ),
]


def upgrade() -> None:
    op.create_table(
        "pm_webhooks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("event_types", sa.Text(), nullable=False),
        sa.Column(
            "project_id",
            sa.String(36),
            sa.ForeignKey("pm_projects.id", name=op.f("fk_pm_webhooks_project_id_pm_projects")),
            nullable=True,
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("previous_secret", sa.String(200), nullable=True),
        sa.Column("previous_secret_until", sa.BigInteger(), nullable=True),
        sa.Column("cursor_seq", sa.BigInteger(), nullable=False),
        sa.Column("failing_since", sa.BigInteger(), nullable=True),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.Column("deleted_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pm_webhooks")),
    )
    op.create_table(
        "pm_webhook_deliveries",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "webhook_id",
            sa.String(36),
            sa.ForeignKey(
                "pm_webhooks.id", name=op.f("fk_pm_webhook_deliveries_webhook_id_pm_webhooks")
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pm_webhook_deliveries")),
    )
    has_seq = sa.text("seq IS NOT NULL")
    op.create_index(
        "uq_pm_webhook_deliveries_event",
        "pm_webhook_deliveries",
        ["webhook_id", "seq"],
        unique=True,
        sqlite_where=has_seq,
        postgresql_where=has_seq,
    )
    pending = sa.text("status = 'pending'")
    op.create_index(
        "ix_pm_webhook_deliveries_pending",
        "pm_webhook_deliveries",
        ["webhook_id", "seq"],
        sqlite_where=pending,
        postgresql_where=pending,
    )
    op.create_table(
        "pm_webhook_attempts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column(
            "delivery_id",
            sa.String(36),
            sa.ForeignKey(
                "pm_webhook_deliveries.id",
                name=op.f("fk_pm_webhook_attempts_delivery_id_pm_webhook_deliveries"),
            ),
            nullable=False,
        ),
        sa.Column("attempted_at", sa.BigInteger(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pm_webhook_attempts")),
    )
    op.create_index("ix_pm_webhook_attempts_delivery", "pm_webhook_attempts", ["delivery_id", "id"])
    op.bulk_insert(llm_context, DOCS)


def downgrade() -> None:
    op.execute(llm_context.delete().where(llm_context.c.id.in_([d["id"] for d in DOCS])))
    op.drop_index("ix_pm_webhook_attempts_delivery", table_name="pm_webhook_attempts")
    op.drop_table("pm_webhook_attempts")
    op.drop_index("ix_pm_webhook_deliveries_pending", table_name="pm_webhook_deliveries")
    op.drop_index("uq_pm_webhook_deliveries_event", table_name="pm_webhook_deliveries")
    op.drop_table("pm_webhook_deliveries")
    op.drop_table("pm_webhooks")
