"""Time tracking use cases: manual entries, running timers (one per user), edits and deletes."""

from __future__ import annotations

from dataclasses import replace
from typing import TypedDict

from pm.core import activity, time_entries
from pm.core.enums import EntityType
from pm.core.errors import NotFound
from pm.core.ids import new_id
from pm.core.members import Role
from pm.core.records import record
from pm.core.time_entries import UPDATABLE_FIELDS, TimeEntry
from pm.core.work_items import WorkItem
from pm.db.repos import time_entries as repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event, EventKind
from pm.service import lookups
from pm.service.access import EDIT, VIEW
from pm.service.uow import Reader, UnitOfWork


@record
class TimeEntryList:
    """A page of a work item's time entries (newest first) and how many it has in all."""

    items: list[TimeEntry]
    total_count: int


@record
class TimerStart:
    """The timer just started, and the caller's timer it stopped (if one was running)."""

    time_entry: TimeEntry
    stopped_entry: TimeEntry | None


@record
class RunningTimer:
    """The caller's running timer, or None."""

    time_entry: TimeEntry | None


class TimeEntryPatch(TypedDict, total=False):
    """Fields of a time entry an update may set (a present None clears the description)."""

    started_at: int
    ended_at: int
    description: str | None


async def list_time_entries(
    reader: Reader, id_or_key: str, limit: int, offset: int
) -> TimeEntryList:
    """A page of a work item's time entries, newest first, with the total count."""
    item = await lookups.work_item(reader, id_or_key, VIEW)
    rows, total = await repo.list_for_item(reader.ex, item.id, limit, offset)
    return TimeEntryList(rows, total)


async def get_time_entry(reader: Reader, entry_id: str) -> TimeEntry:
    """One live time entry."""
    return await _live_entry(reader, entry_id, VIEW)


async def get_running_timer(reader: Reader) -> RunningTimer:
    """The acting user's running timer, if any."""
    return RunningTimer(await repo.running_for_user(reader.ex, reader.actor.user_id))


async def create_time_entry(
    uow: UnitOfWork, id_or_key: str, started_at: int, ended_at: int, description: str | None
) -> TimeEntry:
    """Record time the acting user spent on a work item (a finished, manual entry)."""
    item = await lookups.work_item(uow, id_or_key, EDIT)
    spent = time_entries.duration(started_at, ended_at)
    entry = _new_entry(uow, item, started_at, ended_at, spent, description)
    await repo.insert(uow.ex, entry)
    uow.log(EntityType.TIME_ENTRY, entry.id, entry.project_id, "created")
    _emit(uow, EventKind.TIME_ENTRY_CREATED, entry)
    return entry


async def start_timer(uow: UnitOfWork, id_or_key: str, description: str | None) -> TimerStart:
    """Start a timer on a work item, stopping the acting user's other running timer first."""
    item = await lookups.work_item(uow, id_or_key, EDIT)
    stopped = None
    running = await repo.running_for_user(uow.ex, uow.actor.user_id)
    if running is not None:
        stopped = await stop_entry(uow, running, f"a timer was started on {item.key}")
    entry = _new_entry(uow, item, uow.now, None, None, description)
    await repo.insert(uow.ex, entry)
    uow.log(EntityType.TIME_ENTRY, entry.id, entry.project_id, "started")
    _emit(uow, EventKind.TIMER_STARTED, entry, extra={"stopped_entry": stopped})
    return TimerStart(entry, stopped)


async def stop_timer(uow: UnitOfWork, entry_id: str) -> TimeEntry:
    """Stop one of the acting user's running timers now (any member may stop their own)."""
    entry = await _live_entry(uow, entry_id, VIEW)
    time_entries.check_owner(entry, uow.actor.user_id)
    time_entries.check_running(entry)
    return await stop_entry(uow, entry)


async def update_time_entry(uow: UnitOfWork, entry_id: str, patch: TimeEntryPatch) -> TimeEntry:
    """Change the start, end or description of one of the acting user's entries."""
    current = await _live_entry(uow, entry_id, EDIT)
    time_entries.check_owner(current, uow.actor.user_id)
    changed = time_entries.reschedule(
        current,
        patch.get("started_at"),
        patch.get("ended_at"),
        patch.get("description"),
        "description" in patch,
        uow.now,
    )
    changes = activity.diff(current, changed, UPDATABLE_FIELDS)
    if not changes:
        return current
    await repo.update(uow.ex, changed)
    uow.log(EntityType.TIME_ENTRY, changed.id, changed.project_id, "updated", changes)
    _emit(uow, EventKind.TIME_ENTRY_UPDATED, changed, tuple(changes))
    return changed


async def delete_time_entry(uow: UnitOfWork, entry_id: str) -> TimeEntry:
    """Soft-delete one of the acting user's entries (a running timer is discarded with it)."""
    current = await _live_entry(uow, entry_id, EDIT)
    time_entries.check_owner(current, uow.actor.user_id)
    deleted = replace(current, deleted_at=uow.now, updated_at=uow.now)
    await repo.update(uow.ex, deleted)
    uow.log(EntityType.TIME_ENTRY, current.id, current.project_id, "deleted")
    uow.emit(
        Event(
            EventKind.TIME_ENTRY_DELETED,
            uow.actor.user_id,
            current.id,
            current.project_id,
            work_item_ids=(current.work_item_id,),
            extra={"work_item_id": current.work_item_id},
        )
    )
    return deleted


async def stop_entry(uow: UnitOfWork, entry: TimeEntry, reason: str | None = None) -> TimeEntry:
    """Stop a running timer now, with its activity and event."""
    stopped = time_entries.stop(entry, uow.now)
    await repo.update(uow.ex, stopped)
    changes = activity.diff(entry, stopped, UPDATABLE_FIELDS)
    uow.log(EntityType.TIME_ENTRY, entry.id, entry.project_id, "stopped", changes, reason)
    _emit(uow, EventKind.TIMER_STOPPED, stopped, tuple(changes))
    return stopped


def _new_entry(
    uow: UnitOfWork,
    item: WorkItem,
    started_at: int,
    ended_at: int | None,
    spent: int | None,
    description: str | None,
) -> TimeEntry:
    now = uow.now
    return TimeEntry(
        new_id(),
        item.id,
        item.project_id,
        uow.actor.user_id,
        started_at,
        ended_at,
        spent,
        description,
        now,
        now,
        None,
    )


def _emit(
    uow: UnitOfWork,
    kind: EventKind,
    entry: TimeEntry,
    changes: tuple[activity.FieldChange, ...] = (),
    extra: dict[str, object] | None = None,
) -> None:
    uow.emit(
        Event(
            kind,
            uow.actor.user_id,
            entry.id,
            entry.project_id,
            entry,
            changes,
            work_item_ids=(entry.work_item_id,),
            extra=extra or {},
        )
    )


async def _live_entry(reader: Reader, entry_id: str, need: Role) -> TimeEntry:
    """A time entry lives only as long as its work item: one on a deleted item is not found."""
    entry = await repo.get(reader.ex, entry_id)
    if entry is None or await item_repo.get(reader.ex, entry.work_item_id) is None:
        raise NotFound("time entry", entry_id)
    await lookups.guard(reader, entry.project_id, need, "time entry", entry_id)
    return entry
