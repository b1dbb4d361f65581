"""Events ↔ wire: the payload-only WebSocketMessage body of an event, and its REST dict form.

`event_body` serialises a WebSocketMessage that carries only the payload case (named like the
event's kind). The per-delivery header (message_id, timestamp, seq) is serialised separately
and prepended: concatenated protobuf encodings parse as one merged message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.members import ProjectMember
from pm.core.projects import Project
from pm.core.sprints import Sprint
from pm.core.swim_lanes import SwimLane
from pm.core.time_entries import TimeEntry
from pm.core.webhooks import Webhook
from pm.core.work_items import WorkItem
from pm.events.entities_pb import (
    comment_pb,
    dependency_pb,
    field_change_pb,
    fill_work_item,
    member_pb,
    project_pb,
    sprint_pb,
    swim_lane_pb,
    time_entry_pb,
)
from pm.events.types import Event, EventKind
from pm.proto import messages_pb2 as pb

_T = TypeVar("_T")
Builder = Callable[[Event], pb.WebSocketMessage]


# ---------------------------------------------------------------------------------------
# Reading an event
# ---------------------------------------------------------------------------------------


def _entity(event: Event, cls: type[_T]) -> _T:
    """The event's entity, which must be a `cls`."""
    if not isinstance(event.entity, cls):
        got = type(event.entity).__name__
        raise ValueError(f"{event.kind} event carries {got}, expected {cls.__name__}")
    return event.entity


def _extra_str(event: Event, key: str) -> str:
    """A string the event carries in `extra`."""
    value = event.extra.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{event.kind} event has no string extra[{key!r}]")
    return value


def _changes(event: Event) -> list[pb.FieldChange]:
    return [field_change_pb(change) for change in event.changes]


def _time_entry_work_item(event: Event) -> str:
    """The work item of a deleted time entry: extra["work_item_id"], else work_item_ids[0]."""
    if isinstance(event.extra.get("work_item_id"), str):
        return _extra_str(event, "work_item_id")
    if event.work_item_ids:
        return event.work_item_ids[0]
    raise ValueError(f"{event.kind} event names no work item")


# ---------------------------------------------------------------------------------------
# Builders, one per kind
# ---------------------------------------------------------------------------------------


def _project_created(e: Event) -> pb.WebSocketMessage:
    project = project_pb(_entity(e, Project))
    return pb.WebSocketMessage(
        project_created=pb.ProjectCreated(project=project, user_id=e.user_id)
    )


def _project_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.ProjectUpdated(
        project=project_pb(_entity(e, Project)), changes=_changes(e), user_id=e.user_id
    )
    return pb.WebSocketMessage(project_updated=msg)


def _project_deleted(e: Event) -> pb.WebSocketMessage:
    msg = pb.ProjectDeleted(project_id=e.entity_id, user_id=e.user_id)
    return pb.WebSocketMessage(project_deleted=msg)


# The two busiest events are built in place: nesting finished messages copies them.
def _work_item_created(e: Event) -> pb.WebSocketMessage:
    msg = pb.WebSocketMessage()
    created = msg.work_item_created
    fill_work_item(created.work_item, _entity(e, WorkItem))
    created.user_id = e.user_id
    return msg


def _work_item_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.WebSocketMessage()
    updated = msg.work_item_updated
    fill_work_item(updated.work_item, _entity(e, WorkItem))
    updated.changes.extend(_changes(e))
    updated.user_id = e.user_id
    return msg


def _work_item_deleted(e: Event) -> pb.WebSocketMessage:
    msg = pb.WorkItemDeleted(work_item_id=e.entity_id, user_id=e.user_id)
    return pb.WebSocketMessage(work_item_deleted=msg)


def _sprint_created(e: Event) -> pb.WebSocketMessage:
    msg = pb.SprintCreated(sprint=sprint_pb(_entity(e, Sprint)), user_id=e.user_id)
    return pb.WebSocketMessage(sprint_created=msg)


def _sprint_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.SprintUpdated(
        sprint=sprint_pb(_entity(e, Sprint)), changes=_changes(e), user_id=e.user_id
    )
    return pb.WebSocketMessage(sprint_updated=msg)


def _sprint_deleted(e: Event) -> pb.WebSocketMessage:
    msg = pb.SprintDeleted(sprint_id=e.entity_id, user_id=e.user_id)
    return pb.WebSocketMessage(sprint_deleted=msg)


def _comment_created(e: Event) -> pb.WebSocketMessage:
    msg = pb.CommentCreated(comment=comment_pb(_entity(e, Comment)), user_id=e.user_id)
    return pb.WebSocketMessage(comment_created=msg)


def _comment_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.CommentUpdated(comment=comment_pb(_entity(e, Comment)), user_id=e.user_id)
    return pb.WebSocketMessage(comment_updated=msg)


def _comment_deleted(e: Event) -> pb.WebSocketMessage:
    msg = pb.CommentDeleted(comment_id=e.entity_id, user_id=e.user_id)
    return pb.WebSocketMessage(comment_deleted=msg)


def _timer_started(e: Event) -> pb.WebSocketMessage:
    stopped = e.extra.get("stopped_entry")
    if stopped is not None and not isinstance(stopped, TimeEntry):
        raise ValueError(f"timer_started event carries a {type(stopped).__name__} stopped_entry")
    msg = pb.TimerStarted(
        time_entry=time_entry_pb(_entity(e, TimeEntry)),
        user_id=e.user_id,
        stopped_entry=None if stopped is None else time_entry_pb(stopped),
    )
    return pb.WebSocketMessage(timer_started=msg)


def _timer_stopped(e: Event) -> pb.WebSocketMessage:
    msg = pb.TimerStopped(time_entry=time_entry_pb(_entity(e, TimeEntry)), user_id=e.user_id)
    return pb.WebSocketMessage(timer_stopped=msg)


def _time_entry_created(e: Event) -> pb.WebSocketMessage:
    msg = pb.TimeEntryCreated(time_entry=time_entry_pb(_entity(e, TimeEntry)), user_id=e.user_id)
    return pb.WebSocketMessage(time_entry_created=msg)


def _time_entry_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.TimeEntryUpdated(time_entry=time_entry_pb(_entity(e, TimeEntry)), user_id=e.user_id)
    return pb.WebSocketMessage(time_entry_updated=msg)


def _time_entry_deleted(e: Event) -> pb.WebSocketMessage:
    msg = pb.TimeEntryDeleted(
        time_entry_id=e.entity_id, work_item_id=_time_entry_work_item(e), user_id=e.user_id
    )
    return pb.WebSocketMessage(time_entry_deleted=msg)


def _dependency_created(e: Event) -> pb.WebSocketMessage:
    msg = pb.DependencyCreated(dependency=dependency_pb(_entity(e, Dependency)), user_id=e.user_id)
    return pb.WebSocketMessage(dependency_created=msg)


def _dependency_deleted(e: Event) -> pb.WebSocketMessage:
    msg = pb.DependencyDeleted(
        dependency_id=e.entity_id,
        blocking_item_id=_extra_str(e, "blocking_item_id"),
        blocked_item_id=_extra_str(e, "blocked_item_id"),
        user_id=e.user_id,
    )
    return pb.WebSocketMessage(dependency_deleted=msg)


def _swim_lane_created(e: Event) -> pb.WebSocketMessage:
    msg = pb.SwimLaneCreated(swim_lane=swim_lane_pb(_entity(e, SwimLane)), user_id=e.user_id)
    return pb.WebSocketMessage(swim_lane_created=msg)


def _swim_lane_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.SwimLaneUpdated(
        swim_lane=swim_lane_pb(_entity(e, SwimLane)), changes=_changes(e), user_id=e.user_id
    )
    return pb.WebSocketMessage(swim_lane_updated=msg)


def _swim_lane_deleted(e: Event) -> pb.WebSocketMessage:
    if e.project_id is None:
        raise ValueError("swim_lane_deleted event has no project_id")
    msg = pb.SwimLaneDeleted(swim_lane_id=e.entity_id, project_id=e.project_id, user_id=e.user_id)
    return pb.WebSocketMessage(swim_lane_deleted=msg)


def _member_added(e: Event) -> pb.WebSocketMessage:
    msg = pb.MemberAdded(member=member_pb(_entity(e, ProjectMember)), user_id=e.user_id)
    return pb.WebSocketMessage(member_added=msg)


def _member_updated(e: Event) -> pb.WebSocketMessage:
    msg = pb.MemberUpdated(
        member=member_pb(_entity(e, ProjectMember)), changes=_changes(e), user_id=e.user_id
    )
    return pb.WebSocketMessage(member_updated=msg)


def _member_removed(e: Event) -> pb.WebSocketMessage:
    member = _entity(e, ProjectMember)
    msg = pb.MemberRemoved(
        project_id=member.project_id, member_user_id=member.user_id, user_id=e.user_id
    )
    return pb.WebSocketMessage(member_removed=msg)


def _webhook_disabled(e: Event) -> pb.WebSocketMessage:
    webhook = _entity(e, Webhook)
    msg = pb.WebhookDisabled(
        webhook_id=webhook.id,
        url=webhook.url,
        project_id=webhook.project_id,
        reason=_extra_str(e, "reason"),
        user_id=e.user_id,
    )
    return pb.WebSocketMessage(webhook_disabled=msg)


BUILDERS: dict[EventKind, Builder] = {
    EventKind.PROJECT_CREATED: _project_created,
    EventKind.PROJECT_UPDATED: _project_updated,
    EventKind.PROJECT_DELETED: _project_deleted,
    EventKind.WORK_ITEM_CREATED: _work_item_created,
    EventKind.WORK_ITEM_UPDATED: _work_item_updated,
    EventKind.WORK_ITEM_DELETED: _work_item_deleted,
    EventKind.SPRINT_CREATED: _sprint_created,
    EventKind.SPRINT_UPDATED: _sprint_updated,
    EventKind.SPRINT_DELETED: _sprint_deleted,
    EventKind.COMMENT_CREATED: _comment_created,
    EventKind.COMMENT_UPDATED: _comment_updated,
    EventKind.COMMENT_DELETED: _comment_deleted,
    EventKind.TIMER_STARTED: _timer_started,
    EventKind.TIMER_STOPPED: _timer_stopped,
    EventKind.TIME_ENTRY_CREATED: _time_entry_created,
    EventKind.TIME_ENTRY_UPDATED: _time_entry_updated,
    EventKind.TIME_ENTRY_DELETED: _time_entry_deleted,
    EventKind.DEPENDENCY_CREATED: _dependency_created,
    EventKind.DEPENDENCY_DELETED: _dependency_deleted,
    EventKind.SWIM_LANE_CREATED: _swim_lane_created,
    EventKind.SWIM_LANE_UPDATED: _swim_lane_updated,
    EventKind.SWIM_LANE_DELETED: _swim_lane_deleted,
    EventKind.MEMBER_ADDED: _member_added,
    EventKind.MEMBER_UPDATED: _member_updated,
    EventKind.MEMBER_REMOVED: _member_removed,
    EventKind.WEBHOOK_DISABLED: _webhook_disabled,
}
"""Event kind → builder of its payload-only WebSocketMessage (the case is named like the kind)."""


def _built(event: Event) -> pb.WebSocketMessage:
    builder = BUILDERS.get(event.kind)
    if builder is None:
        raise ValueError(f"unknown event kind {event.kind!r}")
    return builder(event)


def event_body(event: Event) -> bytes:
    """The serialised payload-only WebSocketMessage of `event`; ValueError for unknown kinds."""
    return _built(event).SerializeToString()


def event_payload(event: Event) -> tuple[str, Message]:
    """The payload case and message of `event` (e.g. to answer the request that caused it)."""
    return event.kind, getattr(_built(event), event.kind)


# ---------------------------------------------------------------------------------------
# REST view
# ---------------------------------------------------------------------------------------

_INT64_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_FIXED64,
    }
)


def _unquote_int64(data: dict[str, Any], descriptor: Descriptor) -> dict[str, Any]:
    """Turn the strings MessageToDict renders for 64-bit integers back into ints, recursively."""
    for field in descriptor.fields:
        if field.name not in data:
            continue
        value = data[field.name]
        if field.type in _INT64_TYPES:
            data[field.name] = [int(v) for v in value] if field.is_repeated else int(value)
        elif field.message_type is not None and not field.message_type.GetOptions().map_entry:
            for item in value if field.is_repeated else [value]:
                _unquote_int64(item, field.message_type)
    return data


def event_to_dict(body: bytes) -> dict[str, Any]:
    """{"kind": payload case, **payload fields} of a serialised WebSocketMessage.

    Fields without presence are always present (defaults included); unset `optional`
    fields are left out. 64-bit integers are ints, enums their names.
    """
    message = pb.WebSocketMessage.FromString(body)
    kind = message.WhichOneof("payload")
    if kind is None:
        raise ValueError("the message carries no payload")
    payload = cast(Message, getattr(message, kind))
    fields = MessageToDict(
        payload, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    descriptor = pb.WebSocketMessage.DESCRIPTOR.fields_by_name[kind].message_type
    if descriptor is None:  # every payload case is a message; keeps the type checker informed
        raise ValueError(f"payload case {kind!r} is not a message")
    return {"kind": kind, **_unquote_int64(fields, descriptor)}
