"""Optimistic locking: a stale expected version is a conflict carrying the current row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core.errors import Conflict
from pm.core.versioning import check_version


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
