"""Domain → protobuf converters, event bodies and their REST dict form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from pm.core.activity import ActivityEntry, FieldChange
from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.enums import (
    DependencyType,
    EntityType,
    Priority,
    ProjectStatus,
    SprintStatus,
    WorkItemType,
)
from pm.core.errors import InvalidInput
from pm.core.llm_context import LlmContextEntry
from pm.core.members import ProjectMember, Role
from pm.core.projects import Project
from pm.core.sprints import Sprint
from pm.core.swim_lanes import SwimLane
from pm.core.time_entries import TimeEntry
from pm.core.webhooks import Webhook
from pm.core.work_items import WorkItem, WorkItemDetail
from pm.events import entities_pb as conv
from pm.events.codec import BUILDERS, event_body, event_to_dict
from pm.events.types import Event, EventKind
from pm.proto import messages_pb2 as pb

BIG = 4_102_444_800  # 2100-01-01: a time that needs more than 32 bits

PROJECT = Project(
    "p1", "PONE", "Project one", "About", ProjectStatus.ARCHIVED, 3, 7, 10, 11, "alice", "bob", BIG
)
ITEM = WorkItem(
    "w1",
    "p1",
    WorkItemType.TASK,
    6,
    "PONE-6",
    "w0",
    2,
    "Do it",
    "Details",
    "in_progress",
    Priority.HIGH,
    5,
    "carol",
    "s1",
    4,
    10,
    11,
    "alice",
    "bob",
    BIG,
)
DETAIL = WorkItemDetail(
    **{f.name: getattr(ITEM, f.name) for f in fields(ITEM)},
    ancestor_ids=["w0", "e0"],
    descendant_ids=["w2", "w3"],
)
SPRINT = Sprint(
    "s1", "p1", "Sprint 1", "Ship", 100, BIG, SprintStatus.ACTIVE, 2, 10, 11, "alice", "bob", BIG
)
COMMENT = Comment("c1", "w1", "p1", "*hi*", 10, 11, "alice", "bob", BIG)
ENTRY = TimeEntry("t1", "w1", "p1", "alice", BIG - 3600, BIG, 3600, "coding", 10, 11, BIG)
DEP = Dependency("d1", "w1", "w2", DependencyType.RELATES_TO, 10, "alice", BIG)
LANE = SwimLane("l1", "p1", "QA", "qa", 4, True, 10, 11, BIG)
CHANGE = FieldChange("title", "old", "new")
ACTIVITY = ActivityEntry(
    "a1",
    EntityType.WORK_ITEM,
    "w1",
    "p1",
    "updated",
    "title",
    "old",
    "new",
    "alice",
    BIG,
    "renamed",
)
MEMBER = ProjectMember("p1", "bob", Role.EDITOR, 10, BIG, "alice", "carol")
LLM = LlmContextEntry("x1", "schema", "tables", "Items", "text", "SELECT 1", "one row", 9)

# (converter, entity with every optional value present, the optional fields)
ENTITIES: list[tuple[Callable[[Any], Message], object, tuple[str, ...]]] = [
    (conv.project_pb, PROJECT, ("description", "deleted_at")),
    (
        conv.work_item_pb,
        ITEM,
        ("parent_id", "description", "assignee_id", "sprint_id", "deleted_at", "story_points"),
    ),
    (conv.sprint_pb, SPRINT, ("goal", "deleted_at")),
    (conv.comment_pb, COMMENT, ("deleted_at",)),
    (conv.time_entry_pb, ENTRY, ("ended_at", "duration_seconds", "description", "deleted_at")),
    (conv.dependency_pb, DEP, ("deleted_at",)),
    (conv.swim_lane_pb, LANE, ("deleted_at",)),
    (conv.field_change_pb, CHANGE, ("old_value", "new_value")),
    (conv.activity_pb, ACTIVITY, ("field_name", "old_value", "new_value", "comment")),
    (conv.llm_context_pb, LLM, ("example_sql", "example_description")),
    (conv.member_pb, MEMBER, ()),
]
ENUM_FIELDS = {"item_type", "status", "dependency_type", "priority", "entity_type", "role"}


def _ids(case: tuple[Callable[[Any], Message], object, tuple[str, ...]]) -> str:
    return type(case[1]).__name__


def _roundtrip(message: Message) -> Message:
    copy = type(message)()
    copy.ParseFromString(message.SerializeToString())
    return copy


# --- entity converters -------------------------------------------------------------------------


@pytest.mark.parametrize("case", ENTITIES, ids=_ids)
def test_every_proto_optional_is_one_of_the_listed_optionals(
    case: tuple[Callable[[Any], Message], object, tuple[str, ...]],
) -> None:
    convert, entity, optional = case
    descriptor = convert(entity).DESCRIPTOR
    presence = {
        f.name
        for f in descriptor.fields
        if f.has_presence and f.type != FieldDescriptor.TYPE_MESSAGE
    }
    assert presence == set(optional)


@pytest.mark.parametrize("case", ENTITIES, ids=_ids)
def test_a_full_entity_round_trips_with_every_value(
    case: tuple[Callable[[Any], Message], object, tuple[str, ...]],
) -> None:
    convert, entity, optional = case
    message = _roundtrip(convert(entity))
    for name in optional:
        assert message.HasField(name), name
    for field in message.DESCRIPTOR.fields:
        if field.name in ENUM_FIELDS or not hasattr(entity, field.name):
            continue
        assert getattr(message, field.name) == getattr(entity, field.name), field.name


@pytest.mark.parametrize("case", ENTITIES, ids=_ids)
def test_none_values_leave_optional_fields_unset(
    case: tuple[Callable[[Any], Message], object, tuple[str, ...]],
) -> None:
    convert, entity, optional = case
    bare = replace(entity, **dict.fromkeys(optional))  # type: ignore[type-var]
    message = _roundtrip(convert(bare))
    for name in optional:
        assert not message.HasField(name), name
    assert message.SerializeToString() == convert(bare).SerializeToString()


def test_enum_and_text_fields_of_entities() -> None:
    item = conv.work_item_pb(ITEM)
    assert item.item_type == pb.WORK_ITEM_TYPE_TASK
    assert item.priority == "high"
    assert conv.project_pb(PROJECT).status == pb.PROJECT_STATUS_ARCHIVED
    assert conv.sprint_pb(SPRINT).status == pb.SPRINT_STATUS_ACTIVE
    assert conv.dependency_pb(DEP).dependency_type == pb.DEPENDENCY_TYPE_RELATES_TO
    assert conv.activity_pb(ACTIVITY).entity_type == "work_item"
    assert conv.member_pb(MEMBER).role == pb.PROJECT_ROLE_EDITOR


def test_only_a_work_item_detail_fills_the_tree_ids() -> None:
    plain = conv.work_item_pb(ITEM)
    assert list(plain.ancestor_ids) == []
    assert list(plain.descendant_ids) == []
    detail = _roundtrip(conv.work_item_pb(DETAIL))
    assert isinstance(detail, pb.WorkItem)
    assert list(detail.ancestor_ids) == ["w0", "e0"]
    assert list(detail.descendant_ids) == ["w2", "w3"]


# --- enums -------------------------------------------------------------------------------------


def test_enum_numbers_follow_the_protocol() -> None:
    assert {k.value: int(v) for k, v in conv.WORK_ITEM_TYPE_TO_PB.items()} == {
        "epic": 2,
        "story": 3,
        "task": 4,
    }
    assert {k.value: int(v) for k, v in conv.SPRINT_STATUS_TO_PB.items()} == {
        "planned": 1,
        "active": 2,
        "completed": 3,
        "cancelled": 4,
    }
    assert {k.value: int(v) for k, v in conv.PROJECT_STATUS_TO_PB.items()} == {
        "active": 1,
        "archived": 2,
    }
    assert {k.value: int(v) for k, v in conv.DEPENDENCY_TYPE_TO_PB.items()} == {
        "blocks": 1,
        "relates_to": 2,
    }
    assert {k.value: int(v) for k, v in conv.ROLE_TO_PB.items()} == {
        "viewer": 1,
        "editor": 2,
        "admin": 3,
    }


REVERSE: list[tuple[Callable[..., object], dict[Any, Any], str]] = [
    (conv.work_item_type_from_pb, conv.WORK_ITEM_TYPE_TO_PB, "item_type"),
    (conv.sprint_status_from_pb, conv.SPRINT_STATUS_TO_PB, "status"),
    (conv.project_status_from_pb, conv.PROJECT_STATUS_TO_PB, "status"),
    (conv.dependency_type_from_pb, conv.DEPENDENCY_TYPE_TO_PB, "dependency_type"),
    (conv.role_from_pb, conv.ROLE_TO_PB, "role"),
]


@pytest.mark.parametrize(("from_pb", "to_pb", "field"), REVERSE)
def test_enum_reverse_mappings(
    from_pb: Callable[..., object], to_pb: dict[Any, Any], field: str
) -> None:
    for domain, wire in to_pb.items():
        assert from_pb(wire) is domain
    for bad in (0, 1_000):
        with pytest.raises(InvalidInput) as raised:
            from_pb(bad)
        assert raised.value.field == field
    with pytest.raises(InvalidInput) as raised:
        from_pb(0, "other")
    assert raised.value.field == "other"


def test_the_reserved_project_item_type_is_refused() -> None:
    with pytest.raises(InvalidInput):
        conv.work_item_type_from_pb(1)


# --- event bodies ------------------------------------------------------------------------------

RUNNING = replace(ENTRY, id="t2", ended_at=None, duration_seconds=None)


WEBHOOK = Webhook(
    "h1", "http://h.example/x", ("*",), "p1", None, False, "whsec_AAAA", None, None, 0, None,
    "410", 2, 0, 0, "alice", "alice", None,
)  # fmt: skip


def _event(kind: str, entity: object = None, **kw: Any) -> Event:
    return Event(kind, "alice", kw.pop("entity_id", "x1"), kw.pop("project_id", "p1"), entity, **kw)


def _check_entity(field: str, expected: Message) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        assert getattr(payload, field) == expected
        assert payload.user_id == "alice"

    return check


def _check_updated(field: str, expected: Message) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        _check_entity(field, expected)(payload)
        assert list(payload.changes) == [conv.field_change_pb(CHANGE)]

    return check


def _check_deleted(**expected: str) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        for name, value in expected.items():
            assert getattr(payload, name) == value, name
        assert payload.user_id == "alice"

    return check


def _check_timer_started(payload: Any) -> None:
    assert payload.time_entry == conv.time_entry_pb(RUNNING)
    assert payload.stopped_entry == conv.time_entry_pb(ENTRY)
    assert payload.user_id == "alice"


CHANGES = {"changes": (CHANGE,)}
DEP_EXTRA = {"extra": {"blocking_item_id": "w1", "blocked_item_id": "w2"}}
EVENTS: list[tuple[Event, Callable[[Any], None]]] = [
    (_event("project_created", PROJECT), _check_entity("project", conv.project_pb(PROJECT))),
    (
        _event("project_updated", PROJECT, **CHANGES),
        _check_updated("project", conv.project_pb(PROJECT)),
    ),
    (_event("project_deleted"), _check_deleted(project_id="x1")),
    (_event("work_item_created", DETAIL), _check_entity("work_item", conv.work_item_pb(DETAIL))),
    (
        _event("work_item_updated", ITEM, **CHANGES),
        _check_updated("work_item", conv.work_item_pb(ITEM)),
    ),
    (_event("work_item_deleted"), _check_deleted(work_item_id="x1")),
    (_event("sprint_created", SPRINT), _check_entity("sprint", conv.sprint_pb(SPRINT))),
    (_event("sprint_updated", SPRINT, **CHANGES), _check_updated("sprint", conv.sprint_pb(SPRINT))),
    (_event("sprint_deleted"), _check_deleted(sprint_id="x1")),
    (_event("comment_created", COMMENT), _check_entity("comment", conv.comment_pb(COMMENT))),
    (_event("comment_updated", COMMENT), _check_entity("comment", conv.comment_pb(COMMENT))),
    (_event("comment_deleted"), _check_deleted(comment_id="x1")),
    (_event("timer_started", RUNNING, extra={"stopped_entry": ENTRY}), _check_timer_started),
    (_event("timer_stopped", ENTRY), _check_entity("time_entry", conv.time_entry_pb(ENTRY))),
    (_event("time_entry_created", ENTRY), _check_entity("time_entry", conv.time_entry_pb(ENTRY))),
    (_event("time_entry_updated", ENTRY), _check_entity("time_entry", conv.time_entry_pb(ENTRY))),
    (
        _event("time_entry_deleted", work_item_ids=("w1",)),
        _check_deleted(time_entry_id="x1", work_item_id="w1"),
    ),
    (_event("dependency_created", DEP), _check_entity("dependency", conv.dependency_pb(DEP))),
    (
        _event("dependency_deleted", **DEP_EXTRA),
        _check_deleted(dependency_id="x1", blocking_item_id="w1", blocked_item_id="w2"),
    ),
    (_event("swim_lane_created", LANE), _check_entity("swim_lane", conv.swim_lane_pb(LANE))),
    (
        _event("swim_lane_updated", LANE, **CHANGES),
        _check_updated("swim_lane", conv.swim_lane_pb(LANE)),
    ),
    (
        _event("swim_lane_deleted", project_id="p9"),
        _check_deleted(swim_lane_id="x1", project_id="p9"),
    ),
    (
        _event("member_added", MEMBER, entity_id="bob"),
        _check_entity("member", conv.member_pb(MEMBER)),
    ),
    (
        _event("member_updated", MEMBER, entity_id="bob", **CHANGES),
        _check_updated("member", conv.member_pb(MEMBER)),
    ),
    (
        _event("member_removed", MEMBER, entity_id="bob"),
        _check_deleted(project_id="p1", member_user_id="bob"),
    ),
    (
        _event("webhook_disabled", WEBHOOK, extra={"reason": "410"}),
        _check_deleted(webhook_id="h1", url="http://h.example/x", project_id="p1", reason="410"),
    ),
]


def test_every_builder_is_covered_and_named_like_its_payload_case() -> None:
    assert set(BUILDERS) == set(EventKind)  # every kind a service may emit has a builder
    assert {event.kind for event, _ in EVENTS} == set(BUILDERS)
    cases = {f.name for f in pb.WebSocketMessage.DESCRIPTOR.oneofs_by_name["payload"].fields}
    assert set(BUILDERS) <= cases


@pytest.mark.parametrize(("event", "check"), EVENTS, ids=[e.kind for e, _ in EVENTS])
def test_event_body_carries_only_its_payload(event: Event, check: Callable[[Any], None]) -> None:
    message = pb.WebSocketMessage.FromString(event_body(event))
    assert message.WhichOneof("payload") == event.kind
    assert [f.name for f, _ in message.ListFields()] == [event.kind]
    check(getattr(message, event.kind))


def test_a_header_and_a_body_concatenate_into_one_message() -> None:
    header = pb.WebSocketMessage(message_id="m", timestamp=5, seq=7).SerializeToString()
    body = event_body(_event("work_item_created", DETAIL))
    message = pb.WebSocketMessage.FromString(header + body)
    assert (message.message_id, message.timestamp, message.seq) == ("m", 5, 7)
    assert message.WhichOneof("payload") == "work_item_created"
    assert message.work_item_created.work_item == conv.work_item_pb(DETAIL)


def test_timer_started_without_a_stopped_timer_leaves_it_unset() -> None:
    message = pb.WebSocketMessage.FromString(event_body(_event("timer_started", RUNNING)))
    assert not message.timer_started.HasField("stopped_entry")
    assert not message.timer_started.time_entry.HasField("ended_at")


def test_time_entry_deleted_takes_the_work_item_from_extra_too() -> None:
    event = _event("time_entry_deleted", extra={"work_item_id": "w7"})
    message = pb.WebSocketMessage.FromString(event_body(event))
    assert message.time_entry_deleted.work_item_id == "w7"
    with pytest.raises(ValueError, match="work item"):
        event_body(_event("time_entry_deleted"))


def test_unknown_kinds_and_malformed_events_raise() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        event_body(_event("work_item_exploded", ITEM))
    with pytest.raises(ValueError, match="expected WorkItem"):
        event_body(_event("work_item_created", SPRINT))
    with pytest.raises(ValueError, match="blocking_item_id"):
        event_body(_event("dependency_deleted"))
    with pytest.raises(ValueError, match="stopped_entry"):
        event_body(_event("timer_started", RUNNING, extra={"stopped_entry": "t1"}))
    with pytest.raises(ValueError, match="expected ProjectMember"):
        event_body(_event("member_removed", PROJECT))


# --- REST view ---------------------------------------------------------------------------------


def test_event_to_dict_gives_ints_for_int64_fields() -> None:
    data = event_to_dict(
        event_body(_event("timer_started", RUNNING, extra={"stopped_entry": ENTRY}))
    )
    assert data["kind"] == "timer_started"
    assert data["user_id"] == "alice"
    assert data["time_entry"]["started_at"] == BIG - 3600
    assert data["time_entry"]["deleted_at"] == BIG
    assert "ended_at" not in data["time_entry"]  # unset optional
    assert data["stopped_entry"]["ended_at"] == BIG
    assert data["stopped_entry"]["duration_seconds"] == 3600


def test_event_to_dict_prints_defaults_and_keeps_proto_names() -> None:
    bare = replace(ITEM, position=0, parent_id=None, deleted_at=None)
    data = event_to_dict(event_body(_event("work_item_updated", bare, **CHANGES)))
    item = data["work_item"]
    assert data["kind"] == "work_item_updated"
    assert item["item_type"] == "WORK_ITEM_TYPE_TASK"
    assert item["position"] == 0
    assert item["created_at"] == 10
    assert isinstance(item["created_at"], int)
    assert item["ancestor_ids"] == []
    assert "parent_id" not in item
    assert "deleted_at" not in item
    assert data["changes"] == [{"field_name": "title", "old_value": "old", "new_value": "new"}]


def test_event_to_dict_of_a_header_plus_body_and_of_an_empty_message() -> None:
    header = pb.WebSocketMessage(message_id="m", timestamp=5, seq=7).SerializeToString()
    assert event_to_dict(header + event_body(_event("sprint_deleted"))) == {
        "kind": "sprint_deleted",
        "sprint_id": "x1",
        "user_id": "alice",
    }
    with pytest.raises(ValueError, match="no payload"):
        event_to_dict(header)
