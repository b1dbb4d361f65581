"""Time entries: durations, owners, stopping timers and editing entries consistently."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core import time_entries
from pm.core.errors import Forbidden, InvalidInput
from pm.core.time_entries import MAX_DURATION, TimeEntry


def make_entry(started_at: int = 1_000, ended_at: int | None = None, **fields: object) -> TimeEntry:
    """Alice's entry on item w1; running unless `ended_at` is given."""
    entry = TimeEntry(
        id="t1",
        work_item_id="w1",
        project_id="p1",
        user_id="alice",
        started_at=started_at,
        ended_at=ended_at,
        duration_seconds=None if ended_at is None else ended_at - started_at,
        description="coding",
        created_at=started_at,
        updated_at=started_at,
        deleted_at=None,
    )
    return replace(entry, **fields)


timestamps = st.integers(min_value=0, max_value=253_402_300_799)


# --- duration ----------------------------------------------------------------------------------


def test_a_running_timer_has_no_duration() -> None:
    assert time_entries.duration(1_000, None) is None


def test_duration_is_the_seconds_between_the_ends() -> None:
    assert time_entries.duration(1_000, 1_000) == 0
    assert time_entries.duration(1_000, 4_600) == 3_600


def test_an_entry_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="before started_at") as caught:
        time_entries.duration(1_000, 999)
    assert caught.value.field == "ended_at"


def test_the_longest_entry_fits_in_32_bits() -> None:
    assert time_entries.duration(0, MAX_DURATION) == MAX_DURATION
    with pytest.raises(InvalidInput, match="68 years") as caught:
        time_entries.duration(0, MAX_DURATION + 1)
    assert caught.value.field == "ended_at"


@given(start=timestamps, end=timestamps)
def test_duration_is_end_minus_start_and_never_negative(start: int, end: int) -> None:
    if start <= end <= start + MAX_DURATION:
        spent = time_entries.duration(start, end)
        assert spent == end - start
        assert spent is not None
        assert spent >= 0
    else:
        with pytest.raises(InvalidInput) as caught:
            time_entries.duration(start, end)
        assert caught.value.field == "ended_at"


# --- owners and running ------------------------------------------------------------------------


def test_running_means_no_end() -> None:
    assert make_entry().running is True
    assert make_entry(ended_at=2_000).running is False


def test_the_owner_may_change_their_entry() -> None:
    time_entries.check_owner(make_entry(), "alice")


def test_nobody_else_may_change_an_entry() -> None:
    with pytest.raises(Forbidden, match="owner") as caught:
        time_entries.check_owner(make_entry(), "bob")
    assert caught.value.field is None


def test_a_running_timer_can_be_stopped() -> None:
    time_entries.check_running(make_entry())


def test_a_finished_entry_is_not_a_running_timer() -> None:
    with pytest.raises(InvalidInput, match="not a running timer") as caught:
        time_entries.check_running(make_entry(ended_at=2_000))
    assert caught.value.field == "time_entry_id"


# --- stop --------------------------------------------------------------------------------------


def test_stopping_ends_the_timer_now() -> None:
    stopped = time_entries.stop(make_entry(started_at=1_000), now=1_600)
    assert (stopped.ended_at, stopped.duration_seconds, stopped.updated_at) == (1_600, 600, 1_600)
    assert stopped.running is False
    assert (stopped.id, stopped.started_at, stopped.description) == ("t1", 1_000, "coding")


def test_stopping_a_timer_that_starts_later_never_ends_it_before_its_start() -> None:
    stopped = time_entries.stop(make_entry(started_at=5_000), now=4_000)
    assert (stopped.ended_at, stopped.duration_seconds, stopped.updated_at) == (5_000, 0, 4_000)


@given(start=timestamps, now=timestamps)
def test_a_stopped_timer_is_always_consistent(start: int, now: int) -> None:
    if now - start > MAX_DURATION:
        return
    stopped = time_entries.stop(make_entry(started_at=start), now)
    assert stopped.ended_at is not None
    assert stopped.ended_at >= stopped.started_at
    assert stopped.duration_seconds == stopped.ended_at - stopped.started_at


# --- reschedule --------------------------------------------------------------------------------


def test_editing_only_the_description_keeps_the_times() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    changed = time_entries.reschedule(entry, None, None, "review", True, now=3_000)
    assert (changed.started_at, changed.ended_at, changed.duration_seconds) == (1_000, 2_000, 1_000)
    assert (changed.description, changed.updated_at) == ("review", 3_000)


def test_the_description_can_be_cleared_or_left_alone() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    assert time_entries.reschedule(entry, None, None, None, True, now=3_000).description is None
    kept = time_entries.reschedule(entry, 1_500, None, None, False, now=3_000)
    assert kept.description == "coding"


def test_moving_the_start_recomputes_the_duration() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    changed = time_entries.reschedule(entry, 1_500, None, None, False, now=3_000)
    assert (changed.started_at, changed.ended_at, changed.duration_seconds) == (1_500, 2_000, 500)


def test_moving_the_end_recomputes_the_duration() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    changed = time_entries.reschedule(entry, None, 5_000, None, False, now=3_000)
    assert (changed.ended_at, changed.duration_seconds) == (5_000, 4_000)


def test_moving_the_start_past_the_end_is_refused() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    with pytest.raises(InvalidInput, match="before started_at") as caught:
        time_entries.reschedule(entry, 2_001, None, None, False, now=3_000)
    assert caught.value.field == "ended_at"


def test_moving_the_end_before_the_start_is_refused() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    with pytest.raises(InvalidInput) as caught:
        time_entries.reschedule(entry, None, 999, None, False, now=3_000)
    assert caught.value.field == "ended_at"


def test_a_running_timer_can_be_started_earlier_and_keeps_running() -> None:
    changed = time_entries.reschedule(make_entry(started_at=1_000), 500, None, None, False, 3_000)
    assert (changed.started_at, changed.ended_at, changed.duration_seconds) == (500, None, None)
    assert changed.running is True
    same_instant = time_entries.reschedule(make_entry(), 3_000, None, None, False, 3_000)
    assert same_instant.started_at == 3_000


def test_a_running_timer_cannot_start_in_the_future() -> None:
    with pytest.raises(InvalidInput, match="future") as caught:
        time_entries.reschedule(make_entry(started_at=1_000), 3_001, None, None, False, now=3_000)
    assert caught.value.field == "started_at"


def test_a_finished_entry_may_lie_in_the_future() -> None:
    entry = make_entry(started_at=1_000, ended_at=2_000)
    changed = time_entries.reschedule(entry, 9_000, 9_500, None, False, now=3_000)
    assert (changed.started_at, changed.ended_at, changed.duration_seconds) == (9_000, 9_500, 500)


def test_giving_a_running_timer_an_end_finishes_it() -> None:
    changed = time_entries.reschedule(make_entry(started_at=1_000), None, 1_900, None, False, 3_000)
    assert (changed.ended_at, changed.duration_seconds, changed.running) == (1_900, 900, False)
    with pytest.raises(InvalidInput) as caught:
        time_entries.reschedule(make_entry(started_at=1_000), None, 900, None, False, 3_000)
    assert caught.value.field == "ended_at"


@given(
    start=timestamps,
    end=st.none() | timestamps,
    new_start=st.none() | timestamps,
    new_end=st.none() | timestamps,
    now=timestamps,
)
def test_reschedule_keeps_the_duration_consistent(
    start: int, end: int | None, new_start: int | None, new_end: int | None, now: int
) -> None:
    if end is not None and not start <= end <= start + MAX_DURATION:
        return
    entry = make_entry(started_at=start, ended_at=end)
    final_start = start if new_start is None else new_start
    final_end = end if new_end is None else new_end
    starts_in_future = end is None and new_end is None and new_start is not None and new_start > now
    bad_end = final_end is not None and not final_start <= final_end <= final_start + MAX_DURATION
    if starts_in_future or bad_end:
        with pytest.raises(InvalidInput) as caught:
            time_entries.reschedule(entry, new_start, new_end, None, False, now)
        assert caught.value.field == ("started_at" if starts_in_future else "ended_at")
        return
    changed = time_entries.reschedule(entry, new_start, new_end, None, False, now)
    assert (changed.started_at, changed.ended_at) == (final_start, final_end)
    if final_end is None:
        assert changed.duration_seconds is None
        assert changed.running is True
    else:
        assert changed.duration_seconds == final_end - final_start
        assert changed.duration_seconds >= 0
