"""Optimistic locking: a stale expected version is a conflict carrying the current row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core.errors import Conflict
from pm.core.records import evolve
from pm.core.versioning import bump, check_version


@dataclass(frozen=True)
class Row:
    """The smallest versioned entity."""

    version: int


def test_no_expectation_means_last_write_wins() -> None:
    check_version(Row(7), None, "project")


def test_the_current_version_passes() -> None:
    check_version(Row(7), 7, "project")


@pytest.mark.parametrize("expected", [6, 8, 1])
def test_a_stale_version_conflicts_and_carries_the_current_row(expected: int) -> None:
    row = Row(7)
    with pytest.raises(Conflict) as caught:
        check_version(row, expected, "work item")
    assert caught.value.field == "expected_version"
    assert caught.value.current is row
    assert caught.value.message == (
        f"work item was changed by someone else: expected version {expected}, current version is 7"
    )


@given(current=st.integers(1, 2**31 - 1), expected=st.none() | st.integers(1, 2**31 - 1))
def test_check_version_fails_exactly_on_a_mismatch(current: int, expected: int | None) -> None:
    if expected is None or expected == current:
        check_version(Row(current), expected, "sprint")
    else:
        with pytest.raises(Conflict) as caught:
            check_version(Row(current), expected, "sprint")
        assert caught.value.field == "expected_version"


@dataclass(frozen=True)
class Stamped:
    """A versioned entity that records who changed it last, and when."""

    title: str
    version: int
    updated_at: int
    updated_by: str
    deleted_at: int | None = None


def test_a_change_bumps_the_version_and_stamps_who_and_when() -> None:
    before = Stamped("old", 3, 100, "alice")
    assert bump(before, 200, "bob") == {"version": 4, "updated_at": 200, "updated_by": "bob"}
    after = evolve(before, title="new", **bump(before, 200, "bob"))
    assert after == Stamped("new", 4, 200, "bob")
    deleted = evolve(after, deleted_at=300, **bump(after, 300, "carol"))
    assert deleted == Stamped("new", 5, 300, "carol", 300)
    assert before == Stamped("old", 3, 100, "alice")  # the original is left as it was
