"""Work item request bodies."""

from __future__ import annotations

from pydantic import MISSING

from pm.api.dtos.common import (
    Body,
    EntityId,
    LongText,
    Position,
    Status,
    StoryPoints,
    Title,
    UserId,
    Version,
)
from pm.core.enums import Priority, WorkItemType


class CreateWorkItem(Body):
    """A new epic, story or task in the project of the URL."""

    item_type: WorkItemType
    title: Title
    description: LongText | None = None
    parent_id: EntityId | None = None
    status: Status | None = None
    priority: Priority = Priority.MEDIUM
    story_points: StoryPoints | None = None
    assignee_id: UserId | None = None
    sprint_id: EntityId | None = None
    position: Position | None = None


class UpdateWorkItem(Body):
    """Fields to change; absent fields stay, null clears (parent_id: null moves to top level)."""

    title: Title | MISSING = MISSING
    description: LongText | MISSING | None = MISSING
    status: Status | MISSING = MISSING
    priority: Priority | MISSING = MISSING
    story_points: StoryPoints | MISSING | None = MISSING
    assignee_id: UserId | MISSING | None = MISSING
    sprint_id: EntityId | MISSING | None = MISSING
    parent_id: EntityId | MISSING | None = MISSING
    position: Position | MISSING = MISSING
    expected_version: Version | None = None
