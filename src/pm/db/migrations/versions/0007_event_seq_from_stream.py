"""event numbers come from the stream itself: drop the pm_event_seq counter row

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27

Each event now takes max(seq) + 1 inside the writing transaction. The purge always keeps
the newest event, so the maximum never goes back and numbers are never reused: the same
guarantee the counter row gave, one UPDATE per write (and one page per commit) fewer.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The LLM context entry describing the counter (revision 0002's id scheme).
NAMESPACE = uuid.UUID("6f1c2b8e-4d0a-5e7b-9c3d-2a1f0e9b8c7d")
COUNTER_DOC = str(uuid.uuid5(NAMESPACE, "Table pm_event_seq"))
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


def upgrade() -> None:
    op.execute(llm_context.delete().where(llm_context.c.id == COUNTER_DOC))
    op.drop_table("pm_event_seq")


def downgrade() -> None:
    seq = op.create_table(
        "pm_event_seq",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pm_event_seq")),
    )
    op.bulk_insert(seq, [{"id": 1, "last_seq": 0}])
    op.execute("UPDATE pm_event_seq SET last_seq = (SELECT coalesce(max(seq), 0) FROM pm_events)")
    op.bulk_insert(
        llm_context,
        [
            {
                "id": COUNTER_DOC,
                "context_type": "schema",
                "category": "events",
                "title": "Table pm_event_seq",
                "content": "One row (id = 1) whose last_seq is the last event sequence number "
                "handed out; writers reserve numbers from it inside their transaction, so a "
                "rolled-back write takes none. Internal.",
                "example_sql": None,
                "example_description": None,
                "priority": 40,
            }
        ],
    )
