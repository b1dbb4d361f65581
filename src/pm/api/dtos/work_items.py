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
from pm.service.work_items import WorkItemPatch


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

    def patch(self) -> WorkItemPatch:
        """The fields the client sent, as the service's patch."""
        patch: WorkItemPatch = {}
        if self.title is not MISSING:
            patch["title"] = self.title
        if self.description is not MISSING:
            patch["description"] = self.description
        if self.status is not MISSING:
            patch["status"] = self.status
        if self.priority is not MISSING:
            patch["priority"] = self.priority
        if self.story_points is not MISSING:
            patch["story_points"] = self.story_points
        if self.assignee_id is not MISSING:
            patch["assignee_id"] = self.assignee_id
        if self.sprint_id is not MISSING:
            patch["sprint_id"] = self.sprint_id
        if self.parent_id is not MISSING:
            patch["parent_id"] = self.parent_id
        if self.position is not MISSING:
            patch["position"] = self.position
        return patch
