"""webhook subscriptions, their deliveries and every delivery attempt

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


def downgrade() -> None:
    op.drop_index("ix_pm_webhook_attempts_delivery", table_name="pm_webhook_attempts")
    op.drop_table("pm_webhook_attempts")
    op.drop_index("ix_pm_webhook_deliveries_pending", table_name="pm_webhook_deliveries")
    op.drop_index("uq_pm_webhook_deliveries_event", table_name="pm_webhook_deliveries")
    op.drop_table("pm_webhook_deliveries")
    op.drop_table("pm_webhooks")
