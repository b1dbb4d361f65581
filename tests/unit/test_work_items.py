"""Hierarchy, status, sprint membership and item keys of work items."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core import work_items
from pm.core.enums import Priority, WorkItemType
from pm.core.errors import InvalidInput
from pm.core.work_items import WorkItem

EPIC, STORY, TASK = WorkItemType.EPIC, WorkItemType.STORY, WorkItemType.TASK
ALL_TYPES = list(WorkItemType)


def make_item(
    item_type: WorkItemType = STORY, project_id: str = "p1", item_id: str = "i1", **fields: object
) -> WorkItem:
    """A work item with plausible defaults; override any field by keyword."""
    item = WorkItem(
        id=item_id,
        project_id=project_id,
        item_type=item_type,
        item_number=1,
        key="PONE-1",
        parent_id=None,
        position=0,
        title="An item",
        description=None,
        status="backlog",
        priority=Priority.MEDIUM,
        story_points=None,
        assignee_id=None,
        sprint_id=None,
        version=1,
        created_at=0,
        updated_at=0,
        created_by="alice",
        updated_by="alice",
        deleted_at=None,
    )
    return replace(item, **fields)


# --- item keys ---------------------------------------------------------------------------------


def test_item_key_joins_project_key_and_number() -> None:
    assert work_items.item_key("PONE", 42) == "PONE-42"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PONE-42", ("PONE", 42)),
        ("AB-1", ("AB", 1)),
        ("A123456789-9999999999", ("A123456789", 9_999_999_999)),
        ("X1-10", ("X1", 10)),
        ("pone-42", ("PONE", 42)),  # keys are case-insensitive; the key is upper case
        ("Pone-42", ("PONE", 42)),
    ],
)
def test_parse_item_key_splits_valid_keys(text: str, expected: tuple[str, int]) -> None:
    assert work_items.parse_item_key(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PONE",
        "PONE-",
        "-42",
        "PONE42",
        "pone_42",
        "\u017fONE-42",  # a long s folds to S in Unicode case-insensitive matching; not here
        "PONE-0",
        "PONE-042",
        "PONE--42",
        "PONE-4a",
        "PONE-42 ",
        " PONE-42",
        "PONE-42\n",
        "A-1",
        "1PONE-1",
        "ABCDEFGHIJK-1",
        "PONE-12345678901",
        "PO_NE-1",
        "0190a4b2-7c1e-7d3a-8f00-000000000000",
    ],
)
def test_parse_item_key_refuses_anything_else(text: str) -> None:
    assert work_items.parse_item_key(text) is None


@given(
    key=st.from_regex(r"[A-Z][A-Z0-9]{1,9}", fullmatch=True),
    number=st.integers(min_value=1, max_value=9_999_999_999),
)
def test_parse_item_key_inverts_item_key(key: str, number: int) -> None:
    assert work_items.parse_item_key(work_items.item_key(key, number)) == (key, number)


@given(text=st.text(max_size=30))
def test_parse_item_key_result_always_rebuilds_the_text(text: str) -> None:
    parsed = work_items.parse_item_key(text)
    if parsed is not None:
        assert work_items.item_key(*parsed) == text.upper()


# --- parents -----------------------------------------------------------------------------------


def test_any_type_may_have_no_parent() -> None:
    for item_type in ALL_TYPES:
        work_items.validate_parent(item_type, "p1", None)


@pytest.mark.parametrize("child", ALL_TYPES)
@pytest.mark.parametrize("parent", ALL_TYPES)
def test_only_story_under_epic_and_task_under_story(
    child: WorkItemType, parent: WorkItemType
) -> None:
    allowed = {(STORY, EPIC), (TASK, STORY)}
    parent_item = make_item(parent, item_id="parent")
    if (child, parent) in allowed:
        work_items.validate_parent(child, "p1", parent_item)
    else:
        with pytest.raises(InvalidInput) as caught:
            work_items.validate_parent(child, "p1", parent_item)
        assert caught.value.field == "parent_id"


@pytest.mark.parametrize("parent", ALL_TYPES)
def test_an_epic_never_has_a_parent(parent: WorkItemType) -> None:
    with pytest.raises(InvalidInput, match="epic sits at the top") as caught:
        work_items.validate_parent(EPIC, "p1", make_item(parent))
    assert caught.value.field == "parent_id"


def test_wrong_parent_type_names_the_expected_type() -> None:
    with pytest.raises(InvalidInput, match="parent of a story must be an epic") as caught:
        work_items.validate_parent(STORY, "p1", make_item(TASK))
    assert caught.value.field == "parent_id"
    with pytest.raises(InvalidInput, match="parent of a task must be a story") as caught:
        work_items.validate_parent(TASK, "p1", make_item(EPIC))
    assert caught.value.field == "parent_id"


@pytest.mark.parametrize(("child", "parent"), [(STORY, EPIC), (TASK, STORY)])
def test_parent_must_be_in_the_same_project(child: WorkItemType, parent: WorkItemType) -> None:
    with pytest.raises(InvalidInput, match="same project") as caught:
        work_items.validate_parent(child, "p1", make_item(parent, project_id="p2"))
    assert caught.value.field == "parent_id"


# --- moves -------------------------------------------------------------------------------------


def test_moving_to_the_top_is_always_allowed() -> None:
    work_items.validate_move("a", None, [])
    work_items.validate_move("a", None, ["a"])


def test_moving_under_an_unrelated_item_is_allowed() -> None:
    work_items.validate_move("a", "b", ["c", "d"])


def test_an_item_cannot_be_its_own_parent() -> None:
    with pytest.raises(InvalidInput, match="under itself") as caught:
        work_items.validate_move("a", "a", [])
    assert caught.value.field == "parent_id"


@pytest.mark.parametrize("ancestors", [["a"], ["c", "a"], ["c", "d", "a"]])
def test_an_item_cannot_move_under_its_descendant(ancestors: list[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        work_items.validate_move("a", "b", iter(ancestors))
    assert caught.value.field == "parent_id"


@given(
    chain=st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=8, unique=True),
    data=st.data(),
)
def test_validate_move_refuses_exactly_the_moves_that_close_a_loop(
    chain: list[str], data: st.DataObject
) -> None:
    # `chain` is a path from the root down: chain[i] is the parent of chain[i + 1].
    item = data.draw(st.sampled_from(chain), label="item")
    new_parent = data.draw(st.sampled_from(chain), label="new_parent")
    depth = chain.index(new_parent)
    parent_ancestors = list(reversed(chain[:depth]))
    loops = chain.index(item) <= depth
    if loops:
        with pytest.raises(InvalidInput) as caught:
            work_items.validate_move(item, new_parent, parent_ancestors)
        assert caught.value.field == "parent_id"
    else:
        work_items.validate_move(item, new_parent, parent_ancestors)


# --- status ------------------------------------------------------------------------------------

LANES = ("backlog", "in_progress", "in_review", "done")


@pytest.mark.parametrize("status", LANES)
def test_status_of_an_existing_lane_is_accepted(status: str) -> None:
    work_items.validate_status(status, LANES)


@pytest.mark.parametrize("status", ["", "Done", "todo", "done ", "backlog,done"])
def test_status_outside_the_lanes_is_refused_and_lists_them(status: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        work_items.validate_status(status, iter(LANES))
    assert caught.value.field == "status"
    assert "backlog, in_progress, in_review, done" in caught.value.message


def test_a_custom_lane_status_is_accepted_once_the_lane_exists() -> None:
    with pytest.raises(InvalidInput):
        work_items.validate_status("qa", LANES)
    work_items.validate_status("qa", (*LANES, "qa"))


# --- sprint membership -------------------------------------------------------------------------


@pytest.mark.parametrize("item_type", [STORY, TASK])
def test_stories_and_tasks_join_a_sprint_of_their_project(item_type: WorkItemType) -> None:
    work_items.validate_sprint_member(item_type, "p1", "p1")
    work_items.validate_sprint_member(make_item(item_type), "p1", "p1")


@pytest.mark.parametrize("item", [EPIC, make_item(EPIC)])
def test_epics_never_join_a_sprint(item: WorkItem | WorkItemType) -> None:
    with pytest.raises(InvalidInput, match="only stories and tasks") as caught:
        work_items.validate_sprint_member(item, "p1", "p1")
    assert caught.value.field == "sprint_id"


@pytest.mark.parametrize("item", [STORY, TASK, make_item(STORY), make_item(TASK)])
def test_sprint_must_belong_to_the_items_project(item: WorkItem | WorkItemType) -> None:
    with pytest.raises(InvalidInput, match="item's project") as caught:
        work_items.validate_sprint_member(item, "p2", "p1")
    assert caught.value.field == "sprint_id"


def test_item_object_is_judged_by_its_type_not_by_default() -> None:
    with pytest.raises(InvalidInput):
        work_items.validate_sprint_member(make_item(EPIC), "p1", "p1")
    work_items.validate_sprint_member(make_item(TASK), "p1", "p1")
