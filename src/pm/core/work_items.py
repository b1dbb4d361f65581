"""Work items (epics, stories, tasks) and the rules of their hierarchy."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pm.core.enums import Priority, WorkItemType
from pm.core.errors import InvalidInput
from pm.core.records import record

# Keys are matched in any case (pone-42 is PONE-42); ASCII only, so no other letter folds in.
ITEM_KEY_PATTERN = re.compile(r"^([A-Za-z][A-Za-z0-9]{1,9})-([1-9][0-9]{0,9})$")

# Which type a parent must have, per child type; epics sit at the top of a project.
ALLOWED_PARENT: dict[WorkItemType, WorkItemType | None] = {
    WorkItemType.EPIC: None,
    WorkItemType.STORY: WorkItemType.EPIC,
    WorkItemType.TASK: WorkItemType.STORY,
}


@record
class WorkItem:
    """An epic, story or task; `key` is the project key plus `item_number` (PONE-42)."""

    id: str
    project_id: str
    item_type: WorkItemType
    item_number: int
    key: str
    parent_id: str | None
    position: int
    title: str
    description: str | None
    status: str
    priority: Priority
    story_points: int | None
    assignee_id: str | None
    sprint_id: str | None
    version: int
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted_at: int | None


@record
class WorkItemDetail(WorkItem):
    """A work item with the ids above it (parent first) and below it (nearest first)."""

    ancestor_ids: list[str]
    descendant_ids: list[str]


UPDATABLE_FIELDS = (
    "title",
    "description",
    "status",
    "priority",
    "story_points",
    "assignee_id",
    "sprint_id",
    "parent_id",
    "position",
)


def item_key(project_key: str, number: int) -> str:
    """The human key of an item: PONE-42."""
    return f"{project_key}-{number}"


def parse_item_key(text: str) -> tuple[str, int] | None:
    """Split "PONE-42" (or "pone-42") into ("PONE", 42); None when `text` is not an item key."""
    match = ITEM_KEY_PATTERN.fullmatch(text)
    if match is None:
        return None
    return match.group(1).upper(), int(match.group(2))


def validate_parent(item_type: WorkItemType, project_id: str, parent: WorkItem | None) -> None:
    """An epic has no parent; a story's is an epic; a task's is a story; same project."""
    if parent is None:
        return
    expected = ALLOWED_PARENT[item_type]
    if expected is None:
        raise InvalidInput(
            "an epic sits at the top of its project and has no parent", field="parent_id"
        )
    if parent.item_type is not expected:
        raise InvalidInput(
            f"the parent of a {item_type.value} must be an {expected.value}"
            if expected is WorkItemType.EPIC
            else f"the parent of a {item_type.value} must be a {expected.value}",
            field="parent_id",
        )
    if parent.project_id != project_id:
        raise InvalidInput("the parent must be in the same project", field="parent_id")


def validate_move(
    item_id: str, new_parent_id: str | None, parent_ancestor_ids: Iterable[str]
) -> None:
    """Moving an item under `new_parent_id` must never make it its own ancestor."""
    if new_parent_id is None:
        return
    if new_parent_id == item_id or item_id in set(parent_ancestor_ids):
        raise InvalidInput(
            "an item cannot be moved under itself or its own descendant", field="parent_id"
        )


def validate_status(status: str, lane_statuses: Iterable[str]) -> None:
    """A status must be one of the project's swim lanes."""
    allowed = list(lane_statuses)
    if status not in allowed:
        raise InvalidInput(
            f"status {status!r} is not a swim lane of this project; use one of: "
            + ", ".join(allowed),
            field="status",
        )


def validate_sprint_member(
    item: WorkItem | WorkItemType, sprint_project_id: str, project_id: str
) -> None:
    """Only stories and tasks join a sprint, and only a sprint of their own project."""
    item_type = item.item_type if isinstance(item, WorkItem) else item
    if item_type is WorkItemType.EPIC:
        raise InvalidInput("only stories and tasks can join a sprint", field="sprint_id")
    if sprint_project_id != project_id:
        raise InvalidInput("the sprint must belong to the item's project", field="sprint_id")
