"""Enumerations shared by every layer; values are the strings used in JSON and storage."""

from __future__ import annotations

from enum import StrEnum


class WorkItemType(StrEnum):
    """Level of a work item in the hierarchy."""

    EPIC = "epic"
    STORY = "story"
    TASK = "task"


class ProjectStatus(StrEnum):
    """Lifecycle of a project."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class SprintStatus(StrEnum):
    """Lifecycle of a sprint."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DependencyType(StrEnum):
    """`blocks` is directed and acyclic; `relates_to` is symmetric and never blocks."""

    BLOCKS = "blocks"
    RELATES_TO = "relates_to"


class Priority(StrEnum):
    """Priority of a work item."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class EntityType(StrEnum):
    """Kinds of entity recorded in the activity log."""

    PROJECT = "project"
    WORK_ITEM = "work_item"
    SPRINT = "sprint"
    COMMENT = "comment"
    TIME_ENTRY = "time_entry"
    DEPENDENCY = "dependency"
    SWIM_LANE = "swim_lane"
