"""Swim lanes: the kanban columns of a project; a work item's status is one of them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from pm.core.errors import Conflict, InvalidInput
from pm.core.records import record

STATUS_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# (status_value, name) of the lanes every project starts with; they cannot be deleted.
DEFAULT_LANES: tuple[tuple[str, str], ...] = (
    ("backlog", "Backlog"),
    ("in_progress", "In Progress"),
    ("in_review", "In Review"),
    ("done", "Done"),
)
DEFAULT_STATUS = DEFAULT_LANES[0][0]
# Work counts as done in the Done lane and in every lane placed after it on the board
# ("Released", "Won't do"): kanban boards flow left to right, and Done is a default lane,
# so every project has one. The same rule in SQL: `pm.db.repos.swim_lanes.done_statuses`.
DONE_STATUS = "done"


@record
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


def done_statuses(board: Iterable[SwimLane]) -> frozenset[str]:
    """The statuses of a board that count as done (see DONE_STATUS)."""
    done = next((lane.position for lane in board if lane.status_value == DONE_STATUS), None)
    if done is None:
        return frozenset()
    return frozenset(lane.status_value for lane in board if lane.position >= done)


def validate_status_value(value: str) -> str:
    """A lane's status value is a short snake_case identifier."""
    if not STATUS_PATTERN.fullmatch(value):
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


def next_position(lanes: Iterable[SwimLane]) -> int:
    """A new lane goes after the last one on the board."""
    return max((lane.position for lane in lanes), default=-1) + 1


def place(board: Sequence[SwimLane], lane: SwimLane, index: int, now: int) -> list[SwimLane]:
    """The board (in order) with `lane` put at `index` (past the end: last), renumbered."""
    others = [other for other in board if other.id != lane.id]
    at = min(index, len(others))
    return renumber([*others[:at], lane, *others[at:]], now)


def reorder(board: Sequence[SwimLane], lane_ids: Sequence[str], now: int) -> list[SwimLane]:
    """The board in the order of `lane_ids`, which must name each of its lanes exactly once."""
    by_id = {lane.id: lane for lane in board}
    wanted = set(lane_ids)
    if len(wanted) != len(lane_ids):
        raise InvalidInput("lane_ids names a lane more than once", field="lane_ids")
    unknown = sum(1 for i in lane_ids if i not in by_id)
    if unknown:
        raise InvalidInput(
            f"lane_ids names {unknown} lane(s) that are not on this board", field="lane_ids"
        )
    missing = [lane.id for lane in board if lane.id not in wanted]
    if missing:
        raise InvalidInput(
            f"lane_ids must list every lane of the board; missing: {', '.join(missing)}",
            field="lane_ids",
        )
    return renumber([by_id[i] for i in lane_ids], now)


def renumber(ordered: Sequence[SwimLane], now: int) -> list[SwimLane]:
    """Positions 0, 1, 2... in the given order; lanes whose position changes are touched."""
    return [
        lane if lane.position == index else replace(lane, position=index, updated_at=now)
        for index, lane in enumerate(ordered)
    ]
