"""idempotency answers in a rowid table (SQLite): appended in order, found through the key index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

Keys are chosen by clients, so they land at random places in their index. In a WITHOUT
ROWID table the whole stored answer (often ~1 kB) sits in that index, whose leaves then
split every few inserts; in a rowid table only the short key does, and the answers are
appended. Measured on SQLite, a lookup plus an insert plus its share of the commit went
from ~40 to ~21 µs. PostgreSQL tables have no such option: nothing changes there.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "pm_idempotency_keys"
COLUMNS = "user_id, key, fingerprint, status_code, response_body, created_at"


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("ix_pm_idempotency_keys_created", table_name=TABLE)
    op.rename_table(TABLE, f"{TABLE}_old")
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_pm_idempotency_keys")),
        sqlite_with_rowid=with_rowid,
    )
    op.execute(  # constant names only
        f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {TABLE}_old ORDER BY created_at"  # noqa: S608
    )
    op.drop_table(f"{TABLE}_old")
    op.create_index("ix_pm_idempotency_keys_created", TABLE, ["created_at"])


def upgrade() -> None:
    _rebuild(with_rowid=True)


def downgrade() -> None:
    _rebuild(with_rowid=False)
