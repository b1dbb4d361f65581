"""Domain entities → protobuf messages, and the enum mappings in both directions.

proto3 `optional` fields are left unset when the domain value is None: the generated
constructors treat a keyword argument of None as "no value" (HasField stays False).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from pm.core.activity import ActivityEntry, FieldChange
from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.enums import DependencyType, ProjectStatus, SprintStatus, WorkItemType
from pm.core.errors import InvalidInput
from pm.core.llm_context import LlmContextEntry
from pm.core.members import ProjectMember, Role
from pm.core.projects import Project
from pm.core.sprints import Sprint
from pm.core.swim_lanes import SwimLane
from pm.core.time_entries import TimeEntry
from pm.core.work_items import WorkItem, WorkItemDetail
from pm.proto import messages_pb2 as pb

# ---------------------------------------------------------------------------------------
# Enums
# ---------------------------------------------------------------------------------------

WORK_ITEM_TYPE_TO_PB: dict[WorkItemType, pb.WorkItemType.ValueType] = {
    WorkItemType.EPIC: pb.WORK_ITEM_TYPE_EPIC,
    WorkItemType.STORY: pb.WORK_ITEM_TYPE_STORY,
    WorkItemType.TASK: pb.WORK_ITEM_TYPE_TASK,
}
SPRINT_STATUS_TO_PB: dict[SprintStatus, pb.SprintStatus.ValueType] = {
    SprintStatus.PLANNED: pb.SPRINT_STATUS_PLANNED,
    SprintStatus.ACTIVE: pb.SPRINT_STATUS_ACTIVE,
    SprintStatus.COMPLETED: pb.SPRINT_STATUS_COMPLETED,
    SprintStatus.CANCELLED: pb.SPRINT_STATUS_CANCELLED,
}
PROJECT_STATUS_TO_PB: dict[ProjectStatus, pb.ProjectStatus.ValueType] = {
    ProjectStatus.ACTIVE: pb.PROJECT_STATUS_ACTIVE,
    ProjectStatus.ARCHIVED: pb.PROJECT_STATUS_ARCHIVED,
}
DEPENDENCY_TYPE_TO_PB: dict[DependencyType, pb.DependencyType.ValueType] = {
    DependencyType.BLOCKS: pb.DEPENDENCY_TYPE_BLOCKS,
    DependencyType.RELATES_TO: pb.DEPENDENCY_TYPE_RELATES_TO,
}

WORK_ITEM_TYPE_FROM_PB: dict[int, WorkItemType] = {v: k for k, v in WORK_ITEM_TYPE_TO_PB.items()}
SPRINT_STATUS_FROM_PB: dict[int, SprintStatus] = {v: k for k, v in SPRINT_STATUS_TO_PB.items()}
PROJECT_STATUS_FROM_PB: dict[int, ProjectStatus] = {v: k for k, v in PROJECT_STATUS_TO_PB.items()}
DEPENDENCY_TYPE_FROM_PB: dict[int, DependencyType] = {
    v: k for k, v in DEPENDENCY_TYPE_TO_PB.items()
}

_E = TypeVar("_E")


def _from_pb(table: Mapping[int, _E], value: int, field: str) -> _E:
    """Look a wire enum value up; UNSPECIFIED (0) and unknown numbers are invalid input."""
    try:
        return table[value]
    except KeyError:
        allowed = ", ".join(f"{number} ({table[number]})" for number in sorted(table))
        raise InvalidInput(f"{field} must be one of {allowed}; got {value}", field=field) from None


def work_item_type_from_pb(value: int, field: str = "item_type") -> WorkItemType:
    """The domain work item type of a wire value."""
    return _from_pb(WORK_ITEM_TYPE_FROM_PB, value, field)


def sprint_status_from_pb(value: int, field: str = "status") -> SprintStatus:
    """The domain sprint status of a wire value."""
    return _from_pb(SPRINT_STATUS_FROM_PB, value, field)


def project_status_from_pb(value: int, field: str = "status") -> ProjectStatus:
    """The domain project status of a wire value."""
    return _from_pb(PROJECT_STATUS_FROM_PB, value, field)


def dependency_type_from_pb(value: int, field: str = "dependency_type") -> DependencyType:
    """The domain dependency type of a wire value."""
    return _from_pb(DEPENDENCY_TYPE_FROM_PB, value, field)


ROLE_TO_PB: dict[Role, pb.ProjectRole.ValueType] = {
    Role.VIEWER: pb.PROJECT_ROLE_VIEWER,
    Role.EDITOR: pb.PROJECT_ROLE_EDITOR,
    Role.ADMIN: pb.PROJECT_ROLE_ADMIN,
}
ROLE_FROM_PB: dict[int, Role] = {v: k for k, v in ROLE_TO_PB.items()}


def role_from_pb(value: int, field: str = "role") -> Role:
    """The domain project role of a wire value."""
    return _from_pb(ROLE_FROM_PB, value, field)


# ---------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------


def member_pb(m: ProjectMember) -> pb.ProjectMember:
    """A project membership on the wire."""
    return pb.ProjectMember(
        project_id=m.project_id,
        user_id=m.user_id,
        role=ROLE_TO_PB[m.role],
        created_at=m.created_at,
        updated_at=m.updated_at,
        created_by=m.created_by,
        updated_by=m.updated_by,
    )


def project_pb(p: Project) -> pb.Project:
    """A project on the wire."""
    return pb.Project(
        id=p.id,
        title=p.title,
        description=p.description,
        key=p.key,
        status=PROJECT_STATUS_TO_PB[p.status],
        version=p.version,
        created_at=p.created_at,
        updated_at=p.updated_at,
        created_by=p.created_by,
        updated_by=p.updated_by,
        deleted_at=p.deleted_at,
        next_work_item_number=p.next_work_item_number,
    )


def work_item_pb(w: WorkItem) -> pb.WorkItem:
    """A work item on the wire; a WorkItemDetail also fills ancestor_ids / descendant_ids."""
    msg = pb.WorkItem()
    fill_work_item(msg, w)
    return msg


def fill_work_item(msg: pb.WorkItem, w: WorkItem) -> None:
    """Write a work item into `msg` (e.g. the one inside an event, which saves a copy).

    Optional fields are set only when present: handing upb a None (or an empty list) per
    absent field costs more than setting the fields that are there (docs/performance.md).
    """
    msg.id = w.id
    msg.item_type = WORK_ITEM_TYPE_TO_PB[w.item_type]
    msg.project_id = w.project_id
    msg.position = w.position
    msg.title = w.title
    msg.status = w.status
    msg.created_at = w.created_at
    msg.updated_at = w.updated_at
    msg.created_by = w.created_by
    msg.updated_by = w.updated_by
    msg.priority = w.priority.value
    msg.version = w.version
    msg.item_number = w.item_number
    if w.parent_id is not None:
        msg.parent_id = w.parent_id
    if w.description is not None:
        msg.description = w.description
    if w.assignee_id is not None:
        msg.assignee_id = w.assignee_id
    if w.sprint_id is not None:
        msg.sprint_id = w.sprint_id
    if w.deleted_at is not None:
        msg.deleted_at = w.deleted_at
    if w.story_points is not None:
        msg.story_points = w.story_points
    if isinstance(w, WorkItemDetail):
        msg.ancestor_ids.extend(w.ancestor_ids)
        msg.descendant_ids.extend(w.descendant_ids)


def sprint_pb(s: Sprint) -> pb.Sprint:
    """A sprint on the wire."""
    return pb.Sprint(
        id=s.id,
        project_id=s.project_id,
        name=s.name,
        goal=s.goal,
        start_date=s.start_date,
        end_date=s.end_date,
        status=SPRINT_STATUS_TO_PB[s.status],
        created_at=s.created_at,
        updated_at=s.updated_at,
        created_by=s.created_by,
        updated_by=s.updated_by,
        deleted_at=s.deleted_at,
        version=s.version,
    )


def comment_pb(c: Comment) -> pb.Comment:
    """A comment on the wire."""
    return pb.Comment(
        id=c.id,
        work_item_id=c.work_item_id,
        content=c.content,
        created_at=c.created_at,
        updated_at=c.updated_at,
        created_by=c.created_by,
        updated_by=c.updated_by,
        deleted_at=c.deleted_at,
    )


def time_entry_pb(t: TimeEntry) -> pb.TimeEntry:
    """A time entry on the wire; ended_at and duration_seconds stay unset while running."""
    return pb.TimeEntry(
        id=t.id,
        work_item_id=t.work_item_id,
        user_id=t.user_id,
        started_at=t.started_at,
        ended_at=t.ended_at,
        duration_seconds=t.duration_seconds,
        description=t.description,
        created_at=t.created_at,
        updated_at=t.updated_at,
        deleted_at=t.deleted_at,
    )


def dependency_pb(d: Dependency) -> pb.Dependency:
    """A dependency on the wire."""
    return pb.Dependency(
        id=d.id,
        blocking_item_id=d.blocking_item_id,
        blocked_item_id=d.blocked_item_id,
        dependency_type=DEPENDENCY_TYPE_TO_PB[d.dependency_type],
        created_at=d.created_at,
        created_by=d.created_by,
        deleted_at=d.deleted_at,
    )


def swim_lane_pb(s: SwimLane) -> pb.SwimLane:
    """A swim lane on the wire."""
    return pb.SwimLane(
        id=s.id,
        project_id=s.project_id,
        name=s.name,
        status_value=s.status_value,
        position=s.position,
        is_default=s.is_default,
        created_at=s.created_at,
        updated_at=s.updated_at,
        deleted_at=s.deleted_at,
    )


def field_change_pb(c: FieldChange) -> pb.FieldChange:
    """One field's change on the wire; a None side stays unset."""
    return pb.FieldChange(field_name=c.field_name, old_value=c.old_value, new_value=c.new_value)


def activity_pb(a: ActivityEntry) -> pb.ActivityLogEntry:
    """An activity log row on the wire (its project_id is not part of the message)."""
    return pb.ActivityLogEntry(
        id=a.id,
        entity_type=a.entity_type.value,
        entity_id=a.entity_id,
        action=a.action,
        field_name=a.field_name,
        old_value=a.old_value,
        new_value=a.new_value,
        user_id=a.user_id,
        timestamp=a.timestamp,
        comment=a.comment,
    )


def llm_context_pb(e: LlmContextEntry) -> pb.LlmContextEntry:
    """An LLM context row on the wire."""
    return pb.LlmContextEntry(
        id=e.id,
        context_type=e.context_type,
        category=e.category,
        title=e.title,
        content=e.content,
        example_sql=e.example_sql,
        example_description=e.example_description,
        priority=e.priority,
    )
