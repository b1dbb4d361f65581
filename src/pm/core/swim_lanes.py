"""Swim lanes: the kanban columns of a project; a work item's status is one of them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pm.core.errors import Conflict, InvalidInput

STATUS_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# (status_value, name) of the lanes every project starts with; they cannot be deleted.
DEFAULT_LANES: tuple[tuple[str, str], ...] = (
    ("backlog", "Backlog"),
    ("in_progress", "In Progress"),
    ("in_review", "In Review"),
    ("done", "Done"),
)
DEFAULT_STATUS = DEFAULT_LANES[0][0]


@dataclass(frozen=True, slots=True)
class SwimLane:
    """One column of a project's board."""

    id: str
    project_id: str
    name: str
    status_value: str
    position: int
    is_default: bool
    created_at: int
    updated_at: int
    deleted_at: int | None


UPDATABLE_FIELDS = ("name", "position")


def validate_status_value(value: str) -> str:
    """A lane's status value is a short snake_case identifier."""
    if not STATUS_PATTERN.match(value):
        raise InvalidInput(
            "status_value must be 1-40 lower-case letters, digits or underscores, "
            "starting with a letter",
            field="status_value",
        )
    return value


def validate_unique(value: str, lanes: Iterable[SwimLane]) -> None:
    """Two lanes of a project cannot share a status value."""
    for lane in lanes:
        if lane.status_value == value:
            raise Conflict(
                f"the project already has a lane {value!r}", field="status_value", current=lane
            )


def validate_removal(lane: SwimLane, items_using: int) -> None:
    """Default lanes stay; a custom lane goes only when no item has its status."""
    if lane.is_default:
        raise InvalidInput(
            f"the default lane {lane.status_value!r} cannot be deleted", field="lane_id"
        )
    if items_using:
        raise InvalidInput(
            f"{items_using} work item(s) still have status {lane.status_value!r}; "
            "move them to another lane first",
            field="lane_id",
        )
