"""Swim lanes: status values, uniqueness, removal of lanes, and the order of the board."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core import swim_lanes
from pm.core.errors import Conflict, InvalidInput
from pm.core.swim_lanes import SwimLane


def make_lane(
    status_value: str = "qa", position: int = 0, is_default: bool = False, lane_id: str = ""
) -> SwimLane:
    """A lane of project p1; its id defaults to `lane-<status_value>`."""
    return SwimLane(
        id=lane_id or f"lane-{status_value}",
        project_id="p1",
        name=status_value.title(),
        status_value=status_value,
        position=position,
        is_default=is_default,
        created_at=0,
        updated_at=0,
        deleted_at=None,
    )


def default_board() -> list[SwimLane]:
    """The four lanes every project starts with, in their default order."""
    return [
        make_lane(value, position, is_default=True)
        for position, (value, _name) in enumerate(swim_lanes.DEFAULT_LANES)
    ]


# --- defaults ----------------------------------------------------------------------------------


def test_projects_start_with_four_lanes_and_items_start_in_backlog() -> None:
    values = [value for value, _name in swim_lanes.DEFAULT_LANES]
    assert values == ["backlog", "in_progress", "in_review", "done"]
    assert swim_lanes.DEFAULT_STATUS == "backlog"
    for value in values:
        assert swim_lanes.validate_status_value(value) == value


# --- status values -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a", "qa", "ready_for_qa", "stage2", "a" * 40, "x_"])
def test_snake_case_status_values_are_accepted(value: str) -> None:
    assert swim_lanes.validate_status_value(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "QA",
        "Qa",
        "2stage",
        "_qa",
        "ready-for-qa",
        "ready for qa",
        "a" * 41,
        "done\n",
        "\ndone",
        "dóne",
        "done/",
    ],
)
def test_other_status_values_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        swim_lanes.validate_status_value(value)
    assert caught.value.field == "status_value"


@given(value=st.text(max_size=45))
def test_accepted_status_values_are_exactly_short_snake_case(value: str) -> None:
    allowed = set("abcdefghijklmnopqrstuvwxyz0123456789_")
    valid = 1 <= len(value) <= 40 and value[0].isascii() and value[0].islower()
    valid = valid and set(value) <= allowed
    if valid:
        assert swim_lanes.validate_status_value(value) == value
    else:
        with pytest.raises(InvalidInput):
            swim_lanes.validate_status_value(value)


# --- uniqueness --------------------------------------------------------------------------------


def test_a_new_status_value_is_unique_on_the_board() -> None:
    swim_lanes.validate_unique("qa", default_board())
    swim_lanes.validate_unique("qa", [])


@pytest.mark.parametrize("value", ["backlog", "done"])
def test_a_taken_status_value_conflicts_and_carries_the_lane(value: str) -> None:
    board = default_board()
    with pytest.raises(Conflict, match=f"already has a lane '{value}'") as caught:
        swim_lanes.validate_unique(value, iter(board))
    assert caught.value.field == "status_value"
    assert caught.value.current == next(lane for lane in board if lane.status_value == value)


# --- removal -----------------------------------------------------------------------------------


@pytest.mark.parametrize("items_using", [0, 3])
def test_default_lanes_cannot_be_removed(items_using: int) -> None:
    with pytest.raises(InvalidInput, match="default lane 'done' cannot be deleted") as caught:
        swim_lanes.validate_removal(make_lane("done", is_default=True), items_using)
    assert caught.value.field == "lane_id"


def test_a_custom_lane_in_use_cannot_be_removed() -> None:
    with pytest.raises(InvalidInput, match="2 work item") as caught:
        swim_lanes.validate_removal(make_lane("qa"), 2)
    assert caught.value.field == "lane_id"


def test_an_unused_custom_lane_can_be_removed() -> None:
    swim_lanes.validate_removal(make_lane("qa"), 0)


# --- adding and reordering ---------------------------------------------------------------------


def test_a_new_lane_goes_after_the_last() -> None:
    assert swim_lanes.next_position([]) == 0
    assert swim_lanes.next_position(default_board()) == 4
    assert swim_lanes.next_position([make_lane("a", 7), make_lane("b", 2)]) == 8


def test_reorder_moves_lanes_and_touches_only_those_that_moved() -> None:
    board = default_board()
    ids = [lane.id for lane in board]
    new_order = [ids[0], ids[2], ids[1], ids[3]]
    result = swim_lanes.reorder(board, new_order, now=50)
    assert [lane.id for lane in result] == new_order
    assert [lane.position for lane in result] == [0, 1, 2, 3]
    assert result[0] is board[0]
    assert result[3] is board[3]
    assert [lane.updated_at for lane in result] == [0, 50, 50, 0]


def test_reorder_refuses_a_lane_named_twice() -> None:
    board = default_board()
    ids = [lane.id for lane in board]
    with pytest.raises(InvalidInput, match="more than once") as caught:
        swim_lanes.reorder(board, [*ids, ids[0]], now=1)
    assert caught.value.field == "lane_ids"


def test_reorder_refuses_lanes_of_another_board() -> None:
    board = default_board()
    ids = [lane.id for lane in board]
    with pytest.raises(InvalidInput, match="1 lane") as caught:
        swim_lanes.reorder(board, [*ids, "elsewhere"], now=1)
    assert caught.value.field == "lane_ids"


def test_reorder_refuses_a_partial_order_and_names_the_missing_lanes() -> None:
    board = default_board()
    with pytest.raises(InvalidInput, match="missing: lane-in_review, lane-done") as caught:
        swim_lanes.reorder(board, [board[1].id, board[0].id], now=1)
    assert caught.value.field == "lane_ids"


@given(
    values=st.lists(
        st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True), min_size=1, max_size=8, unique=True
    ),
    data=st.data(),
)
def test_reorder_is_a_permutation_with_dense_positions(
    values: list[str], data: st.DataObject
) -> None:
    board = [make_lane(value, position * 10) for position, value in enumerate(values)]
    order = data.draw(st.permutations([lane.id for lane in board]))
    result = swim_lanes.reorder(board, order, now=99)
    assert [lane.id for lane in result] == order
    assert [lane.position for lane in result] == list(range(len(board)))
    assert swim_lanes.next_position(result) == len(board)
    before = {lane.id: lane for lane in board}
    for lane in result:
        old = before[lane.id]
        assert (lane.name, lane.status_value, lane.is_default) == (
            old.name,
            old.status_value,
            old.is_default,
        )
        assert lane.updated_at == (old.updated_at if lane.position == old.position else 99)


# --- done -----------------------------------------------------------------------------------


def test_the_done_lane_and_every_lane_after_it_count_as_done() -> None:
    board = [*default_board(), make_lane("released", 4), make_lane("blocked", 5)]
    assert swim_lanes.done_statuses(board) == {"done", "released", "blocked"}
    moved = [make_lane("blocked", 1), *(lane for lane in board if lane.status_value != "blocked")]
    assert "blocked" not in swim_lanes.done_statuses(moved)


def test_on_the_default_board_only_done_is_done() -> None:
    assert swim_lanes.done_statuses(default_board()) == {swim_lanes.DONE_STATUS}


def test_a_board_without_a_done_lane_has_nothing_done() -> None:
    assert swim_lanes.done_statuses([make_lane("todo", 0), make_lane("doing", 1)]) == frozenset()
