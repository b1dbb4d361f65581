"""The event record a unit of work collects for every committed change."""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import TypeGuard, get_args

from pm.core.activity import FieldChange
from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.members import ProjectMember
from pm.core.projects import Project
from pm.core.records import record
from pm.core.sprints import Sprint
from pm.core.swim_lanes import SwimLane
from pm.core.time_entries import TimeEntry
from pm.core.webhooks import Webhook
from pm.core.work_items import WorkItem


class EventKind(StrEnum):
    """What an event says happened: the protocol's payload case name of its message."""

    PROJECT_CREATED = "project_created"
    PROJECT_UPDATED = "project_updated"
    PROJECT_DELETED = "project_deleted"
    WORK_ITEM_CREATED = "work_item_created"
    WORK_ITEM_UPDATED = "work_item_updated"
    WORK_ITEM_DELETED = "work_item_deleted"
    SPRINT_CREATED = "sprint_created"
    SPRINT_UPDATED = "sprint_updated"
    SPRINT_DELETED = "sprint_deleted"
    COMMENT_CREATED = "comment_created"
    COMMENT_UPDATED = "comment_updated"
    COMMENT_DELETED = "comment_deleted"
    TIMER_STARTED = "timer_started"
    TIMER_STOPPED = "timer_stopped"
    TIME_ENTRY_CREATED = "time_entry_created"
    TIME_ENTRY_UPDATED = "time_entry_updated"
    TIME_ENTRY_DELETED = "time_entry_deleted"
    DEPENDENCY_CREATED = "dependency_created"
    DEPENDENCY_DELETED = "dependency_deleted"
    SWIM_LANE_CREATED = "swim_lane_created"
    SWIM_LANE_UPDATED = "swim_lane_updated"
    SWIM_LANE_DELETED = "swim_lane_deleted"
    MEMBER_ADDED = "member_added"
    MEMBER_UPDATED = "member_updated"
    MEMBER_REMOVED = "member_removed"
    WEBHOOK_DISABLED = "webhook_disabled"


# What an event can carry: the domain record after the change.
Entity = (
    Project
    | WorkItem
    | Sprint
    | Comment
    | TimeEntry
    | Dependency
    | SwimLane
    | ProjectMember
    | Webhook
)
_ENTITIES: tuple[type, ...] = get_args(Entity)


def is_entity(value: object) -> TypeGuard[Entity]:
    """Whether `value` is a record an event can carry."""
    return isinstance(value, _ENTITIES)


@record
class Event:
    """One change, addressed to the subscribers of its project, sprint and work item.

    `kind` is the protocol's payload case name (work_item_created, sprint_updated, ...);
    `entity` is the domain object after the change (None for deletions).
    """

    kind: EventKind
    user_id: str
    entity_id: str
    project_id: str | None
    entity: Entity | None = None
    changes: tuple[FieldChange, ...] = ()
    sprint_ids: tuple[str, ...] = ()
    work_item_ids: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
