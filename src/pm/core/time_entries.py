"""Time tracking: manual entries and running timers (at most one running per user)."""

from __future__ import annotations

from dataclasses import replace

from pm.core.errors import Forbidden, InvalidInput
from pm.core.records import record

MAX_DURATION = 2**31 - 1


@record
class TimeEntry:
    """Time spent by a user on a work item; `ended_at` None means the timer is running."""

    id: str
    work_item_id: str
    project_id: str
    user_id: str
    started_at: int
    ended_at: int | None
    duration_seconds: int | None
    description: str | None
    created_at: int
    updated_at: int
    deleted_at: int | None

    @property
    def running(self) -> bool:
        """True while the timer has not been stopped."""
        return self.ended_at is None


UPDATABLE_FIELDS = ("started_at", "ended_at", "duration_seconds", "description")


def duration(started_at: int, ended_at: int | None) -> int | None:
    """Seconds between start and end; None while running. Raises when the end precedes the start."""
    if ended_at is None:
        return None
    if ended_at < started_at:
        raise InvalidInput("ended_at must not be before started_at", field="ended_at")
    if ended_at - started_at > MAX_DURATION:
        raise InvalidInput("a time entry cannot be longer than 68 years", field="ended_at")
    return ended_at - started_at


def check_owner(entry: TimeEntry, user_id: str) -> None:
    """Only the user who tracked the time may change, stop or delete the entry."""
    if entry.user_id != user_id:
        raise Forbidden("only the owner of a time entry can change, stop or delete it")


def check_running(entry: TimeEntry) -> None:
    """Only a running timer can be stopped."""
    if not entry.running:
        raise InvalidInput("this time entry is not a running timer", field="time_entry_id")


def stop(entry: TimeEntry, now: int) -> TimeEntry:
    """The entry with its timer stopped at `now` (never before it started)."""
    ended = max(now, entry.started_at)
    return replace(
        entry, ended_at=ended, duration_seconds=duration(entry.started_at, ended), updated_at=now
    )


def reschedule(
    entry: TimeEntry,
    started_at: int | None,
    ended_at: int | None,
    description: str | None,
    set_description: bool,
    now: int,
) -> TimeEntry:
    """Apply a manual edit, keeping `duration_seconds` consistent with the two ends."""
    start = entry.started_at if started_at is None else started_at
    end = entry.ended_at if ended_at is None else ended_at
    if entry.running and ended_at is None and started_at is not None and start > now:
        raise InvalidInput("a running timer cannot start in the future", field="started_at")
    return replace(
        entry,
        started_at=start,
        ended_at=end,
        duration_seconds=duration(start, end),
        description=description if set_description else entry.description,
        updated_at=now,
    )
