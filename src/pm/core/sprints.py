"""Sprints: a time box of stories and tasks with a planned → active → completed lifecycle."""

from __future__ import annotations

from pm.core.enums import SprintStatus
from pm.core.errors import Conflict, InvalidInput
from pm.core.records import record


@record
class Sprint:
    """A sprint of one project."""

    id: str
    project_id: str
    name: str
    goal: str | None
    start_date: int
    end_date: int
    status: SprintStatus
    version: int
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted_at: int | None


UPDATABLE_FIELDS = ("name", "goal", "start_date", "end_date", "status")

_NEXT: dict[SprintStatus, frozenset[SprintStatus]] = {
    SprintStatus.PLANNED: frozenset({SprintStatus.ACTIVE, SprintStatus.CANCELLED}),
    SprintStatus.ACTIVE: frozenset({SprintStatus.COMPLETED, SprintStatus.CANCELLED}),
    SprintStatus.COMPLETED: frozenset({SprintStatus.CANCELLED}),
    SprintStatus.CANCELLED: frozenset(),
}


def validate_dates(start_date: int, end_date: int) -> None:
    """A sprint cannot end before it starts."""
    if end_date < start_date:
        raise InvalidInput("end_date must not be before start_date", field="end_date")


def validate_transition(current: SprintStatus, target: SprintStatus) -> None:
    """planned → active → completed; any state but cancelled → cancelled."""
    if current is target:
        return
    if target not in _NEXT[current]:
        raise InvalidInput(f"a {current.value} sprint cannot become {target.value}", field="status")


def validate_single_active(target: SprintStatus, other_active: Sprint | None) -> None:
    """At most one active sprint per project."""
    if target is SprintStatus.ACTIVE and other_active is not None:
        raise Conflict(
            f"sprint {other_active.name!r} is already active in this project; "
            "complete or cancel it first",
            field="status",
        )


def accepts_items(sprint: Sprint) -> bool:
    """Items can be added to planned and active sprints only."""
    return sprint.status in (SprintStatus.PLANNED, SprintStatus.ACTIVE)
