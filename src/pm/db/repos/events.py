"""pm_events and pm_event_seq: the tenant's gap-free, ordered event stream."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pm.db.executor import Executor
from pm.db.query import Row, sql

_RESERVE = sql("UPDATE pm_event_seq SET last_seq = last_seq + :n WHERE id = 1 RETURNING last_seq")
_LAST = sql("SELECT last_seq FROM pm_event_seq WHERE id = 1")
_FIRST = sql("SELECT MIN(seq) FROM pm_events")
_INSERT = sql(
    "INSERT INTO pm_events (seq, created_at, kind, entity_id, project_id, sprint_ids, "
    "work_item_ids, user_id, body) VALUES (:seq, :created_at, :kind, :entity_id, :project_id, "
    ":sprint_ids, :work_item_ids, :user_id, :body)"
)
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


@dataclass(frozen=True, slots=True)
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


async def reserve(ex: Executor, count: int) -> int:
    """Take `count` sequence numbers inside the current transaction; returns the first."""
    row = await ex.one(_RESERVE, {"n": count})
    if row is None:
        raise LookupError("the event sequence row is missing; run the migrations")
    return int(row[0]) - count + 1


async def append(ex: Executor, events: Sequence[StoredEvent]) -> None:
    """Store committed-to-be events (in the same transaction as their change)."""
    await ex.run_many(
        _INSERT,
        [
            {
                "seq": e.seq,
                "created_at": e.created_at,
                "kind": e.kind,
                "entity_id": e.entity_id,
                "project_id": e.project_id,
                "sprint_ids": " ".join(e.sprint_ids),
                "work_item_ids": " ".join(e.work_item_ids),
                "user_id": e.user_id,
                "body": e.body,
            }
            for e in events
        ],
    )


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
