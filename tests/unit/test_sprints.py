"""Sprint dates, lifecycle, the single active sprint, and which sprints take items."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core import sprints
from pm.core.enums import SprintStatus
from pm.core.errors import Conflict, InvalidInput
from pm.core.sprints import Sprint

PLANNED, ACTIVE = SprintStatus.PLANNED, SprintStatus.ACTIVE
COMPLETED, CANCELLED = SprintStatus.COMPLETED, SprintStatus.CANCELLED

# The lifecycle of the issue, written out edge by edge (staying put is a no-op, not a move).
ALLOWED_MOVES = {
    (PLANNED, ACTIVE),
    (ACTIVE, COMPLETED),
    (PLANNED, CANCELLED),
    (ACTIVE, CANCELLED),
    (COMPLETED, CANCELLED),
}


def make_sprint(status: SprintStatus = PLANNED, name: str = "Sprint 1") -> Sprint:
    """A sprint of project p1 in the given status."""
    return Sprint(
        id="s1",
        project_id="p1",
        name=name,
        goal=None,
        start_date=100,
        end_date=200,
        status=status,
        version=1,
        created_at=0,
        updated_at=0,
        created_by="alice",
        updated_by="alice",
        deleted_at=None,
    )


# --- dates -------------------------------------------------------------------------------------


def test_a_one_day_sprint_is_fine() -> None:
    sprints.validate_dates(100, 100)


def test_a_sprint_cannot_end_before_it_starts() -> None:
    with pytest.raises(InvalidInput, match="end_date") as caught:
        sprints.validate_dates(100, 99)
    assert caught.value.field == "end_date"


@given(start=st.integers(-(2**40), 2**40), end=st.integers(-(2**40), 2**40))
def test_validate_dates_refuses_exactly_end_before_start(start: int, end: int) -> None:
    if end < start:
        with pytest.raises(InvalidInput) as caught:
            sprints.validate_dates(start, end)
        assert caught.value.field == "end_date"
    else:
        sprints.validate_dates(start, end)


# --- lifecycle ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), list(itertools.product(SprintStatus, SprintStatus)))
def test_validate_transition_allows_only_the_lifecycle_edges(
    current: SprintStatus, target: SprintStatus
) -> None:
    if current is target or (current, target) in ALLOWED_MOVES:
        sprints.validate_transition(current, target)
    else:
        with pytest.raises(InvalidInput) as caught:
            sprints.validate_transition(current, target)
        assert caught.value.field == "status"
        assert f"a {current.value} sprint cannot become {target.value}" in caught.value.message


def test_the_transition_table_has_sixteen_pairs_and_seven_refusals() -> None:
    refused = 0
    for current, target in itertools.product(SprintStatus, SprintStatus):
        try:
            sprints.validate_transition(current, target)
        except InvalidInput:
            refused += 1
    assert len(SprintStatus) ** 2 == 16
    assert refused == 16 - len(ALLOWED_MOVES) - len(SprintStatus)


@pytest.mark.parametrize("current", list(SprintStatus))
def test_any_sprint_can_be_cancelled(current: SprintStatus) -> None:
    sprints.validate_transition(current, CANCELLED)


@pytest.mark.parametrize("target", [PLANNED, ACTIVE, COMPLETED])
def test_a_cancelled_sprint_is_final(target: SprintStatus) -> None:
    with pytest.raises(InvalidInput):
        sprints.validate_transition(CANCELLED, target)


def test_a_sprint_cannot_skip_being_active() -> None:
    with pytest.raises(InvalidInput) as caught:
        sprints.validate_transition(PLANNED, COMPLETED)
    assert caught.value.field == "status"


# --- one active sprint per project ------------------------------------------------------------


def test_activating_with_no_other_active_sprint_is_fine() -> None:
    sprints.validate_single_active(ACTIVE, None)


def test_activating_a_second_sprint_conflicts_and_names_the_first() -> None:
    with pytest.raises(Conflict, match="'Sprint 7' is already active") as caught:
        sprints.validate_single_active(ACTIVE, make_sprint(ACTIVE, name="Sprint 7"))
    assert caught.value.field == "status"


@pytest.mark.parametrize("target", [PLANNED, COMPLETED, CANCELLED])
def test_other_targets_ignore_the_active_sprint(target: SprintStatus) -> None:
    sprints.validate_single_active(target, make_sprint(ACTIVE))


# --- which sprints take items -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "accepts"),
    [(PLANNED, True), (ACTIVE, True), (COMPLETED, False), (CANCELLED, False)],
)
def test_only_planned_and_active_sprints_take_items(status: SprintStatus, accepts: bool) -> None:
    assert sprints.accepts_items(make_sprint(status)) is accepts


def test_updatable_fields_exist_on_the_sprint() -> None:
    sprint = make_sprint()
    for name in sprints.UPDATABLE_FIELDS:
        getattr(sprint, name)
    assert "project_id" not in sprints.UPDATABLE_FIELDS
    assert "version" not in sprints.UPDATABLE_FIELDS
