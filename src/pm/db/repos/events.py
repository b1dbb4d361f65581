"""pm_events: the tenant's gap-free, ordered event stream."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from pm.core.records import record
from pm.db.executor import Executor, Statement
from pm.db.query import Row, sql

# The next number is one past the newest event's. The newest event is never purged (see
# _PURGE), so numbers are never reused, and a rolled-back write took none: the stream is
# gap-free by construction, with no counter row to update. Writers of a tenant take turns,
# so two units never read the same maximum. On SQLite the maximum of the rowid is a seek.
_INSERT = sql(
    "INSERT INTO pm_events (seq, created_at, kind, entity_id, project_id, sprint_ids, "
    "work_item_ids, user_id, body) VALUES ("
    "(SELECT coalesce(max(seq), 0) + 1 FROM pm_events), :created_at, :kind, :entity_id, "
    ":project_id, :sprint_ids, :work_item_ids, :user_id, :body) RETURNING seq"
)
# Several events of one unit: numbered from one read of the maximum, stored in one statement.
_INSERT_NUMBERED = sql(
    "INSERT INTO pm_events (seq, created_at, kind, entity_id, project_id, sprint_ids, "
    "work_item_ids, user_id, body) VALUES (:seq, :created_at, :kind, :entity_id, "
    ":project_id, :sprint_ids, :work_item_ids, :user_id, :body)"
)
_LAST = sql("SELECT coalesce(max(seq), 0) FROM pm_events")
_FIRST = sql("SELECT MIN(seq) FROM pm_events")
_SINCE = sql(
    "SELECT seq, created_at, kind, entity_id, project_id, sprint_ids, work_item_ids, user_id, body "
    "FROM pm_events WHERE seq > :since ORDER BY seq LIMIT :limit"
)
_SINCE_PROJECT = sql(
    "SELECT seq, created_at, kind, entity_id, project_id, sprint_ids, work_item_ids, "
    "user_id, body FROM pm_events WHERE project_id = :project_id "
    "AND seq > :since ORDER BY seq LIMIT :limit"
)
# Events are in seq order and so in time order: the oldest one still young enough marks
# where to cut (the scan stops there), and everything before it goes.
_PURGE = sql(
    "DELETE FROM pm_events WHERE seq < :keep_from AND seq < coalesce("
    "(SELECT seq FROM pm_events WHERE created_at >= :before ORDER BY seq LIMIT 1), :keep_from)"
)


@record
class StoredEvent:
    """One committed event: its place in the stream, its routing and its encoded body."""

    seq: int
    created_at: int
    kind: str
    entity_id: str
    project_id: str | None
    sprint_ids: tuple[str, ...]
    work_item_ids: tuple[str, ...]
    user_id: str
    body: bytes


def _split(text: str) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def _row(row: Row) -> StoredEvent:
    seq, created, kind, entity, project, sprints, items, user, body = row
    return StoredEvent(
        int(seq),
        int(created),
        kind,
        entity,
        project,
        _split(sprints),
        _split(items),
        user,
        bytes(body),
    )


def inserting(
    created_at: int,
    kind: str,
    entity_id: str,
    project_id: str | None,
    sprint_ids: tuple[str, ...],
    work_item_ids: tuple[str, ...],
    user_id: str,
    body: bytes,
) -> Statement:
    """The write storing an event numbered next in the stream; it returns the number (read
    it back with `numbered`)."""
    return (
        _INSERT,
        {
            "created_at": created_at,
            "kind": kind,
            "entity_id": entity_id,
            "project_id": project_id,
            "sprint_ids": " ".join(sprint_ids),
            "work_item_ids": " ".join(work_item_ids),
            "user_id": user_id,
            "body": body,
        },
    )


def numbered(seq: object, event: Statement) -> StoredEvent:
    """The event `inserting` stored, given the number its write returned."""
    if not isinstance(seq, int):
        raise RuntimeError(f"INSERT ... RETURNING seq returned {seq!r}")
    p = event[1]
    return StoredEvent(
        seq,
        cast(int, p["created_at"]),
        cast(str, p["kind"]),
        cast(str, p["entity_id"]),
        cast("str | None", p["project_id"]),
        _split(cast(str, p["sprint_ids"])),
        _split(cast(str, p["work_item_ids"])),
        cast(str, p["user_id"]),
        cast(bytes, p["body"]),
    )


# What `append_many` stores of each event: kind, entity_id, project_id, sprint_ids,
# work_item_ids, user_id, body (as for `append`).
NewEvent = tuple[str, str, str | None, tuple[str, ...], tuple[str, ...], str, bytes]


async def append_many(
    ex: Executor, created_at: int, events: Sequence[NewEvent]
) -> list[StoredEvent]:
    """Store events in the current transaction, numbered next in the stream in order (the
    writer's turn keeps the maximum read here the maximum until it commits)."""
    first = await last_seq(ex) + 1
    stored = [StoredEvent(seq, created_at, *e) for seq, e in enumerate(events, first)]
    await ex.run_many(
        _INSERT_NUMBERED,
        [
            {
                "seq": e.seq,
                "created_at": created_at,
                "kind": e.kind,
                "entity_id": e.entity_id,
                "project_id": e.project_id,
                "sprint_ids": " ".join(e.sprint_ids),
                "work_item_ids": " ".join(e.work_item_ids),
                "user_id": e.user_id,
                "body": e.body,
            }
            for e in stored
        ],
    )
    return stored


async def last_seq(ex: Executor) -> int:
    """The newest sequence number handed out (0 when nothing happened yet)."""
    row = await ex.one(_LAST)
    return int(row[0]) if row else 0


async def first_retained(ex: Executor) -> int | None:
    """The oldest sequence number still kept (None when none is kept)."""
    row = await ex.one(_FIRST)
    return None if row is None or row[0] is None else int(row[0])


async def since(
    ex: Executor, after: int, limit: int, project_id: str | None = None
) -> list[StoredEvent]:
    """Events after `after`, oldest first (optionally only one project's)."""
    if project_id is None:
        rows = await ex.all(_SINCE, {"since": after, "limit": limit})
    else:
        rows = await ex.all(
            _SINCE_PROJECT, {"since": after, "limit": limit, "project_id": project_id}
        )
    return [_row(r) for r in rows]


async def purge(ex: Executor, before: int, keep_from: int) -> int:
    """Forget events older than `before`, always keeping those from `keep_from` on."""
    return await ex.run(_PURGE, {"before": before, "keep_from": keep_from})
