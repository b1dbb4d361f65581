"""SQLAlchemy Core tables: the schema of one tenant (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

ID = String(36)
NOT_DELETED = text("deleted_at IS NULL")


def _audit() -> list[Column[object]]:
    return [
        Column("created_at", BigInteger, nullable=False),
        Column("updated_at", BigInteger, nullable=False),
        Column("created_by", String(255), nullable=False),
        Column("updated_by", String(255), nullable=False),
        Column("deleted_at", BigInteger),
    ]


def _partial(name: str, *cols: str, unique: bool = False) -> Index:
    """An index over live rows only (both dialects support partial indexes)."""
    return Index(name, *cols, unique=unique, sqlite_where=NOT_DELETED, postgresql_where=NOT_DELETED)


projects = Table(
    "pm_projects",
    metadata,
    Column("id", ID, primary_key=True),
    Column("key", String(10), nullable=False, unique=True),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("next_work_item_number", Integer, nullable=False),
    *_audit(),
)

sprints = Table(
    "pm_sprints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", ID, ForeignKey("pm_projects.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("goal", Text),
    Column("start_date", BigInteger, nullable=False),
    Column("end_date", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    *_audit(),
    Index("ix_pm_sprints_project_start", "project_id", "start_date"),
    _partial("ix_pm_sprints_project_status", "project_id", "status"),
    # The database itself guarantees at most one active sprint per project.
    Index(
        "uq_pm_sprints_one_active",
        "project_id",
        unique=True,
        sqlite_where=text("status = 'active' AND deleted_at IS NULL"),
        postgresql_where=text("status = 'active' AND deleted_at IS NULL"),
    ),
)


# What ready work and the critical path read of an item, beyond the status index's key.
PLANNING_COLUMNS = (
    "item_type",
    "priority",
    "position",
    "sprint_id",
    "assignee_id",
    "story_points",
    "id",
    "deleted_at",
)
LIVE_BLOCKS = "dependency_type = 'blocks' AND deleted_at IS NULL"


def _blocks(name: str, *cols: str) -> Index:
    """An index over live `blocks` links (a query naming both conditions can use it)."""
    return Index(name, *cols, sqlite_where=text(LIVE_BLOCKS), postgresql_where=text(LIVE_BLOCKS))


def _present(name: str, *cols: str, present: str, live_only: bool = True) -> Index:
    """An index over the rows where `present` is set (and, with `live_only`, not deleted)."""
    where = text(f"{present} IS NOT NULL" + (" AND deleted_at IS NULL" if live_only else ""))
    return Index(name, *cols, sqlite_where=where, postgresql_where=where)


work_items = Table(
    "pm_work_items",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", ID, ForeignKey("pm_projects.id"), nullable=False),
    Column("item_type", String(10), nullable=False),
    Column("item_number", Integer, nullable=False),
    # Found by key through the project's key and item_number (no index of its own).
    Column("key", String(21), nullable=False),
    Column("parent_id", ID, ForeignKey("pm_work_items.id")),
    Column("position", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("status", String(40), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("story_points", Integer),
    Column("assignee_id", String(255)),
    Column("sprint_id", ID, ForeignKey("pm_sprints.id")),
    Column("version", Integer, nullable=False),
    *_audit(),
    Index("ix_pm_work_items_project_number", "project_id", "item_number", unique=True),
    # Also covers what ready work and the critical path read of every item of a project
    # (revision 0009), so they never visit the table; deleted_at is always NULL here, but
    # SQLite counts an index as covering only if it holds every column the query names.
    _partial(
        "ix_pm_work_items_project_status",
        "project_id",
        "status",
        "item_number",
        *PLANNING_COLUMNS,
    ),
    _partial("ix_pm_work_items_project_type", "project_id", "item_type", "item_number"),
    # Items without a parent, sprint or assignee stay out of those indexes: a typical new
    # item then writes three b-trees fewer (a query for `col = :x` implies `col IS NOT NULL`,
    # so SQLite and PostgreSQL still use them).
    _present(
        "ix_pm_work_items_project_assignee",
        "project_id",
        "assignee_id",
        "item_number",
        present="assignee_id",
    ),
    Index("ix_pm_work_items_project_updated", "project_id", "updated_at"),
    _present("ix_pm_work_items_parent", "parent_id", present="parent_id", live_only=False),
    _present(
        "ix_pm_work_items_sprint", "sprint_id", "item_number", present="sprint_id", live_only=False
    ),
)

comments = Table(
    "pm_comments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("work_item_id", ID, ForeignKey("pm_work_items.id"), nullable=False),
    Column("project_id", ID, ForeignKey("pm_projects.id"), nullable=False),
    Column("content", Text, nullable=False),
    *_audit(),
    Index("ix_pm_comments_work_item", "work_item_id", "id"),
    Index("ix_pm_comments_project", "project_id"),
)

time_entries = Table(
    "pm_time_entries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("work_item_id", ID, ForeignKey("pm_work_items.id"), nullable=False),
    Column("project_id", ID, ForeignKey("pm_projects.id"), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger),
    Column("duration_seconds", Integer),
    Column("description", Text),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger),
    Index("ix_pm_time_entries_work_item", "work_item_id", "started_at"),
    Index("ix_pm_time_entries_project", "project_id"),
    Index("ix_pm_time_entries_user", "user_id", "started_at"),
    # The database itself guarantees at most one running timer per user.
    Index(
        "uq_pm_time_entries_running",
        "user_id",
        unique=True,
        sqlite_where=text("ended_at IS NULL AND deleted_at IS NULL"),
        postgresql_where=text("ended_at IS NULL AND deleted_at IS NULL"),
    ),
)

dependencies = Table(
    "pm_dependencies",
    metadata,
    Column("id", ID, primary_key=True),
    Column("blocking_item_id", ID, ForeignKey("pm_work_items.id"), nullable=False),
    Column("blocked_item_id", ID, ForeignKey("pm_work_items.id"), nullable=False),
    Column("dependency_type", String(20), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("deleted_at", BigInteger),
    _partial("uq_pm_dependencies_pair", "blocking_item_id", "blocked_item_id", unique=True),
    Index("ix_pm_dependencies_blocked", "blocked_item_id"),
    # Live `blocks` links only, both ways round (revision 0009): ready work and the critical
    # path follow them from each item without reading the table.
    _blocks("ix_pm_dependencies_blocks_blocked", "blocked_item_id", "blocking_item_id"),
    _blocks("ix_pm_dependencies_blocks_blocking", "blocking_item_id", "blocked_item_id"),
)

swim_lanes = Table(
    "pm_swim_lanes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("project_id", ID, ForeignKey("pm_projects.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("status_value", String(40), nullable=False),
    Column("position", Integer, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger),
    _partial("uq_pm_swim_lanes_project_status", "project_id", "status_value", unique=True),
)

activity_log = Table(
    "pm_activity_log",
    metadata,
    Column("id", ID, primary_key=True),
    Column("entity_type", String(20), nullable=False),
    Column("entity_id", ID, nullable=False),
    Column("project_id", ID),
    Column("action", String(20), nullable=False),
    Column("field_name", String(64)),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("user_id", String(255), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("comment", Text),
    Index("ix_pm_activity_log_entity", "entity_type", "entity_id", "id"),
    Index("ix_pm_activity_log_project", "project_id", "id"),
    # Appended in id order: the primary key is the table (one b-tree fewer per write).
    sqlite_with_rowid=False,
)

llm_context = Table(
    "pm_llm_context",
    metadata,
    Column("id", ID, primary_key=True),
    Column("context_type", String(40), nullable=False),
    Column("category", String(40), nullable=False),
    Column("title", String(255), nullable=False),
    Column("content", Text, nullable=False),
    Column("example_sql", Text),
    Column("example_description", Text),
    Column("priority", Integer, nullable=False),
    Index("ix_pm_llm_context_category", "category", "priority"),
    Index("ix_pm_llm_context_type", "context_type", "priority"),
)

idempotency_keys = Table(
    "pm_idempotency_keys",
    metadata,
    Column("user_id", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    # A rowid table on SQLite (revision 0006): the answers are appended, and only the short
    # (user_id, key) entries land at random places in the primary-key index.
    PrimaryKeyConstraint("user_id", "key"),
    Index("ix_pm_idempotency_keys_created", "created_at"),
)

# The tenant's event stream: `seq` strictly increases with no gaps. Each event takes one
# past the newest (inside the writing transaction; writers of a tenant take turns), and the
# newest is never purged, so no number is reused and a rolled-back write takes none.
events = Table(
    "pm_events",
    metadata,
    # On SQLite an INTEGER primary key is the rowid itself (no separate index to write).
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("created_at", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("entity_id", String(255), nullable=False),
    Column("project_id", ID),
    Column("sprint_ids", Text, nullable=False),
    Column("work_item_ids", Text, nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Index("ix_pm_events_project_seq", "project_id", "seq"),
)

project_members = Table(
    "pm_project_members",
    metadata,
    Column("project_id", ID, ForeignKey("pm_projects.id"), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("role", String(10), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("updated_by", String(255), nullable=False),
    PrimaryKeyConstraint("project_id", "user_id"),
    Index("ix_pm_project_members_user", "user_id", "project_id"),
)

# Webhook subscriptions (docs/webhooks.md); `cursor_seq` is each one's place in the stream.
webhooks = Table(
    "pm_webhooks",
    metadata,
    Column("id", ID, primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", Text, nullable=False),
    Column("project_id", ID, ForeignKey("pm_projects.id")),
    Column("description", Text),
    Column("enabled", Boolean, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("previous_secret", String(200)),
    Column("previous_secret_until", BigInteger),
    Column("cursor_seq", BigInteger, nullable=False),
    Column("failing_since", BigInteger),
    Column("disabled_reason", Text),
    Column("version", Integer, nullable=False),
    *_audit(),
)

HAS_SEQ = text("seq IS NOT NULL")
PENDING = text("status = 'pending'")
webhook_deliveries = Table(
    "pm_webhook_deliveries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("webhook_id", ID, ForeignKey("pm_webhooks.id"), nullable=False),
    Column("seq", BigInteger),
    Column("event_type", String(60), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_until", BigInteger),
    Column("last_status_code", Integer),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index(
        "uq_pm_webhook_deliveries_event",
        "webhook_id",
        "seq",
        unique=True,
        sqlite_where=HAS_SEQ,
        postgresql_where=HAS_SEQ,
    ),
    Index(
        "ix_pm_webhook_deliveries_pending",
        "webhook_id",
        "seq",
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    ),
)

webhook_attempts = Table(
    "pm_webhook_attempts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("delivery_id", ID, ForeignKey("pm_webhook_deliveries.id"), nullable=False),
    Column("attempted_at", BigInteger, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("response_excerpt", Text),
    Column("error", Text),
    Index("ix_pm_webhook_attempts_delivery", "delivery_id", "id"),
)
