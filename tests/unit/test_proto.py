"""The generated protobuf code is current, and proto/messages.proto keeps the wire contract.

The tables below are transcribed from the shared PROTOCOL.md (numbers up to 144) plus our
documented extensions (docs/protocol.md). A client written for the original protocol only
works if every field number and type here stays exactly as it is.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from pm.proto import messages_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ("messages_pb2.py", "messages_pb2.pyi")
# The exact command of the Makefile's `proto` target, with {out} for the output directory.
PROTOC_ARGS = (
    "-Iproto",
    "--python_out={out}",
    "--mypy_out=quiet:{out}",
    "proto/messages.proto",
)

# Payload case → (number, message type). PROTOCOL.md's table, in its order.
PAYLOAD_CASES: dict[str, tuple[int, str]] = {
    "ping": (10, "Ping"),
    "pong": (11, "Pong"),
    "subscribe": (20, "Subscribe"),
    "unsubscribe": (21, "Unsubscribe"),
    "create_work_item_request": (30, "CreateWorkItemRequest"),
    "update_work_item_request": (31, "UpdateWorkItemRequest"),
    "delete_work_item_request": (32, "DeleteWorkItemRequest"),
    "get_work_items_request": (33, "GetWorkItemsRequest"),
    "work_item_created": (40, "WorkItemCreated"),
    "work_item_updated": (41, "WorkItemUpdated"),
    "work_item_deleted": (42, "WorkItemDeleted"),
    "work_items_list": (43, "WorkItemsList"),
    "create_sprint_request": (50, "CreateSprintRequest"),
    "update_sprint_request": (51, "UpdateSprintRequest"),
    "delete_sprint_request": (52, "DeleteSprintRequest"),
    "get_sprints_request": (53, "GetSprintsRequest"),
    "sprint_created": (60, "SprintCreated"),
    "sprint_updated": (61, "SprintUpdated"),
    "sprint_deleted": (62, "SprintDeleted"),
    "sprints_list": (63, "SprintsList"),
    "create_comment_request": (70, "CreateCommentRequest"),
    "update_comment_request": (71, "UpdateCommentRequest"),
    "delete_comment_request": (72, "DeleteCommentRequest"),
    "get_comments_request": (73, "GetCommentsRequest"),
    "comment_created": (80, "CommentCreated"),
    "comment_updated": (81, "CommentUpdated"),
    "comment_deleted": (82, "CommentDeleted"),
    "comments_list": (83, "CommentsList"),
    "create_project_request": (90, "CreateProjectRequest"),
    "update_project_request": (91, "UpdateProjectRequest"),
    "delete_project_request": (92, "DeleteProjectRequest"),
    "list_projects_request": (93, "ListProjectsRequest"),
    "project_created": (94, "ProjectCreated"),
    "project_updated": (95, "ProjectUpdated"),
    "project_deleted": (96, "ProjectDeleted"),
    "project_list": (97, "ProjectList"),
    "error": (100, "Error"),
    "start_timer_request": (110, "StartTimerRequest"),
    "stop_timer_request": (111, "StopTimerRequest"),
    "create_time_entry_request": (112, "CreateTimeEntryRequest"),
    "update_time_entry_request": (113, "UpdateTimeEntryRequest"),
    "delete_time_entry_request": (114, "DeleteTimeEntryRequest"),
    "get_time_entries_request": (115, "GetTimeEntriesRequest"),
    "get_running_timer_request": (116, "GetRunningTimerRequest"),
    "timer_started": (120, "TimerStarted"),
    "timer_stopped": (121, "TimerStopped"),
    "time_entry_created": (122, "TimeEntryCreated"),
    "time_entry_updated": (123, "TimeEntryUpdated"),
    "time_entry_deleted": (124, "TimeEntryDeleted"),
    "time_entries_list": (125, "TimeEntriesList"),
    "running_timer_response": (126, "RunningTimerResponse"),
    "create_dependency_request": (130, "CreateDependencyRequest"),
    "delete_dependency_request": (131, "DeleteDependencyRequest"),
    "get_dependencies_request": (132, "GetDependenciesRequest"),
    "dependency_created": (135, "DependencyCreated"),
    "dependency_deleted": (136, "DependencyDeleted"),
    "dependencies_list": (137, "DependenciesList"),
    "get_activity_log_request": (140, "GetActivityLogRequest"),
    "activity_log_list": (141, "ActivityLogList"),
    "activity_log_created": (142, "ActivityLogCreated"),
    "get_llm_context_request": (143, "GetLlmContextRequest"),
    "llm_context_list": (144, "LlmContextList"),
}

# Our extensions: numbers 150-169, none of them used by PROTOCOL.md.
EXTENSION_CASES: dict[str, tuple[int, str]] = {
    "subscription_confirmed": (150, "SubscriptionConfirmed"),
    "swim_lane_created": (151, "SwimLaneCreated"),
    "swim_lane_updated": (152, "SwimLaneUpdated"),
    "swim_lane_deleted": (153, "SwimLaneDeleted"),
    "list_members_request": (154, "ListMembersRequest"),
    "members_list": (155, "MembersList"),
    "set_member_request": (156, "SetMemberRequest"),
    "remove_member_request": (157, "RemoveMemberRequest"),
    "member_added": (158, "MemberAdded"),
    "member_updated": (159, "MemberUpdated"),
    "member_removed": (160, "MemberRemoved"),
    "webhook_disabled": (168, "WebhookDisabled"),
}

ENUMS: dict[str, dict[str, int]] = {
    "WorkItemType": {
        "WORK_ITEM_TYPE_UNSPECIFIED": 0,
        "WORK_ITEM_TYPE_EPIC": 2,
        "WORK_ITEM_TYPE_STORY": 3,
        "WORK_ITEM_TYPE_TASK": 4,
    },
    "SprintStatus": {
        "SPRINT_STATUS_UNSPECIFIED": 0,
        "SPRINT_STATUS_PLANNED": 1,
        "SPRINT_STATUS_ACTIVE": 2,
        "SPRINT_STATUS_COMPLETED": 3,
        "SPRINT_STATUS_CANCELLED": 4,
    },
    "ProjectStatus": {
        "PROJECT_STATUS_UNSPECIFIED": 0,
        "PROJECT_STATUS_ACTIVE": 1,
        "PROJECT_STATUS_ARCHIVED": 2,
    },
    "DependencyType": {
        "DEPENDENCY_TYPE_UNSPECIFIED": 0,
        "DEPENDENCY_TYPE_BLOCKS": 1,
        "DEPENDENCY_TYPE_RELATES_TO": 2,
    },
    "ProjectRole": {
        "PROJECT_ROLE_UNSPECIFIED": 0,
        "PROJECT_ROLE_VIEWER": 1,
        "PROJECT_ROLE_EDITOR": 2,
        "PROJECT_ROLE_ADMIN": 3,
    },
}

# Message → its fields as "name number type", comma-separated; type is prefixed "opt "
# (proto3 optional) or "rep " (repeated); "+" marks our extensions. PROTOCOL.md leaves the
# integer width of counts, limits and offsets open: int32 here (a varint on the wire anyway).
MESSAGES: dict[str, str] = {
    "WebSocketMessage": "message_id 1 string, timestamp 2 int64, +seq 3 int64",
    "Project": (
        "id 1 string, title 2 string, description 3 opt string, key 4 string, "
        "status 5 ProjectStatus, version 6 int32, created_at 7 int64, updated_at 8 int64, "
        "created_by 9 string, updated_by 10 string, deleted_at 11 opt int64, "
        "next_work_item_number 12 int32"
    ),
    "WorkItem": (
        "id 1 string, item_type 2 WorkItemType, parent_id 3 opt string, project_id 4 string, "
        "position 5 int32, title 6 string, description 7 opt string, status 8 string, "
        "assignee_id 9 opt string, sprint_id 10 opt string, created_at 11 int64, "
        "updated_at 12 int64, created_by 13 string, updated_by 14 string, "
        "deleted_at 15 opt int64, priority 16 string, story_points 17 opt int32, "
        "version 18 int32, item_number 19 int32, ancestor_ids 20 rep string, "
        "descendant_ids 21 rep string"
    ),
    "Sprint": (
        "id 1 string, project_id 2 string, name 3 string, goal 4 opt string, "
        "start_date 5 int64, end_date 6 int64, status 7 SprintStatus, created_at 8 int64, "
        "updated_at 9 int64, created_by 10 string, updated_by 11 string, "
        "deleted_at 12 opt int64, version 13 int32"
    ),
    "Comment": (
        "id 1 string, work_item_id 2 string, content 3 string, created_at 4 int64, "
        "updated_at 5 int64, created_by 6 string, updated_by 7 string, deleted_at 8 opt int64"
    ),
    "TimeEntry": (
        "id 1 string, work_item_id 2 string, user_id 3 string, started_at 4 int64, "
        "ended_at 5 opt int64, duration_seconds 6 opt int32, description 7 opt string, "
        "created_at 8 int64, updated_at 9 int64, deleted_at 10 opt int64"
    ),
    "Dependency": (
        "id 1 string, blocking_item_id 2 string, blocked_item_id 3 string, "
        "dependency_type 4 DependencyType, created_at 5 int64, created_by 6 string, "
        "deleted_at 7 opt int64"
    ),
    "SwimLane": (
        "id 1 string, project_id 2 string, name 3 string, status_value 4 string, "
        "position 5 int32, is_default 6 bool, created_at 7 int64, updated_at 8 int64, "
        "deleted_at 9 opt int64"
    ),
    "FieldChange": "field_name 1 string, old_value 2 opt string, new_value 3 opt string",
    "ActivityLogEntry": (
        "id 1 string, entity_type 2 string, entity_id 3 string, action 4 string, "
        "field_name 5 opt string, old_value 6 opt string, new_value 7 opt string, "
        "user_id 8 string, timestamp 9 int64, comment 10 opt string"
    ),
    "LlmContextEntry": (
        "id 1 string, context_type 2 string, category 3 string, title 4 string, "
        "content 5 string, example_sql 6 opt string, example_description 7 opt string, "
        "priority 8 int32"
    ),
    "Ping": "timestamp 1 int64",
    "Pong": "timestamp 1 int64",
    "Subscribe": (
        "project_ids 1 rep string, sprint_ids 2 rep string, +work_item_ids 3 rep string, "
        "+since_seq 4 opt int64"
    ),
    "Unsubscribe": "project_ids 1 rep string, sprint_ids 2 rep string, +work_item_ids 3 rep string",
    "SubscriptionConfirmed": (
        "+project_ids 1 rep string, +sprint_ids 2 rep string, +work_item_ids 3 rep string, "
        "+current_seq 4 int64"
    ),
    "CreateWorkItemRequest": (
        "item_type 1 WorkItemType, title 2 string, description 3 opt string, "
        "parent_id 4 opt string, project_id 5 string, status 6 opt string, "
        "priority 7 opt string"
    ),
    "UpdateWorkItemRequest": (
        "work_item_id 1 string, expected_version 2 int32, title 3 opt string, "
        "description 4 opt string, status 5 opt string, assignee_id 6 opt string, "
        "sprint_id 7 opt string, position 8 opt int32, priority 9 opt string, "
        "story_points 10 opt int32, parent_id 11 opt string, update_parent 12 bool"
    ),
    "DeleteWorkItemRequest": "work_item_id 1 string",
    "GetWorkItemsRequest": "project_id 1 string, since_timestamp 2 opt int64",
    "WorkItemCreated": "work_item 1 WorkItem, user_id 2 string",
    "WorkItemUpdated": "work_item 1 WorkItem, changes 2 rep FieldChange, user_id 3 string",
    "WorkItemDeleted": "work_item_id 1 string, user_id 2 string",
    "WorkItemsList": "work_items 1 rep WorkItem, as_of_timestamp 2 int64",
    "CreateSprintRequest": (
        "project_id 1 string, name 2 string, goal 3 opt string, start_date 4 int64, "
        "end_date 5 int64"
    ),
    "UpdateSprintRequest": (
        "sprint_id 1 string, expected_version 2 int32, name 3 opt string, goal 4 opt string, "
        "start_date 5 opt int64, end_date 6 opt int64, status 7 opt SprintStatus"
    ),
    "DeleteSprintRequest": "sprint_id 1 string",
    "GetSprintsRequest": "project_id 1 string",
    "SprintCreated": "sprint 1 Sprint, user_id 2 string",
    "SprintUpdated": "sprint 1 Sprint, changes 2 rep FieldChange, user_id 3 string",
    "SprintDeleted": "sprint_id 1 string, user_id 2 string",
    "SprintsList": "sprints 1 rep Sprint",
    "CreateCommentRequest": "work_item_id 1 string, content 2 string",
    "UpdateCommentRequest": "comment_id 1 string, content 2 string",
    "DeleteCommentRequest": "comment_id 1 string",
    "GetCommentsRequest": "work_item_id 1 string",
    "CommentCreated": "comment 1 Comment, user_id 2 string",
    "CommentUpdated": "comment 1 Comment, user_id 2 string",
    "CommentDeleted": "comment_id 1 string, user_id 2 string",
    "CommentsList": "comments 1 rep Comment",
    "CreateProjectRequest": "title 1 string, description 2 opt string, key 3 string",
    "UpdateProjectRequest": (
        "project_id 1 string, expected_version 2 int32, title 3 opt string, "
        "description 4 opt string, status 5 opt ProjectStatus"
    ),
    "DeleteProjectRequest": "project_id 1 string, expected_version 2 int32",
    "ListProjectsRequest": "",
    "ProjectCreated": "project 1 Project, user_id 2 string",
    "ProjectUpdated": "project 1 Project, changes 2 rep FieldChange, user_id 3 string",
    "ProjectDeleted": "project_id 1 string, user_id 2 string",
    "ProjectList": "projects 1 rep Project",
    "Error": "code 1 string, message 2 string, field 3 opt string",
    "StartTimerRequest": "work_item_id 1 string, description 2 opt string",
    "StopTimerRequest": "time_entry_id 1 string",
    "CreateTimeEntryRequest": (
        "work_item_id 1 string, started_at 2 int64, ended_at 3 int64, description 4 opt string"
    ),
    "UpdateTimeEntryRequest": (
        "time_entry_id 1 string, started_at 2 opt int64, ended_at 3 opt int64, "
        "description 4 opt string"
    ),
    "DeleteTimeEntryRequest": "time_entry_id 1 string",
    "GetTimeEntriesRequest": "work_item_id 1 string, limit 2 opt int32, offset 3 opt int32",
    "GetRunningTimerRequest": "",
    "TimerStarted": "time_entry 1 TimeEntry, user_id 2 string, stopped_entry 3 opt TimeEntry",
    "TimerStopped": "time_entry 1 TimeEntry, user_id 2 string",
    "TimeEntryCreated": "time_entry 1 TimeEntry, user_id 2 string",
    "TimeEntryUpdated": "time_entry 1 TimeEntry, user_id 2 string",
    "TimeEntryDeleted": "time_entry_id 1 string, work_item_id 2 string, user_id 3 string",
    "TimeEntriesList": "time_entries 1 rep TimeEntry, total_count 2 int32",
    "RunningTimerResponse": "time_entry 1 opt TimeEntry",
    "CreateDependencyRequest": (
        "blocking_item_id 1 string, blocked_item_id 2 string, dependency_type 3 DependencyType"
    ),
    "DeleteDependencyRequest": "dependency_id 1 string",
    "GetDependenciesRequest": "work_item_id 1 string",
    "DependencyCreated": "dependency 1 Dependency, user_id 2 string",
    "DependencyDeleted": (
        "dependency_id 1 string, blocking_item_id 2 string, blocked_item_id 3 string, "
        "user_id 4 string"
    ),
    "DependenciesList": (
        "blocking 1 rep Dependency, blocked 2 rep Dependency, +related 3 rep Dependency"
    ),
    "GetActivityLogRequest": (
        "entity_type 1 string, entity_id 2 string, limit 3 int32, offset 4 int32"
    ),
    "ActivityLogList": "entries 1 rep ActivityLogEntry, total_count 2 int32, has_more 3 bool",
    "ActivityLogCreated": "entry 1 ActivityLogEntry",
    "GetLlmContextRequest": (
        "category 1 opt string, context_type 2 opt string, min_priority 3 opt int32"
    ),
    "LlmContextList": "entries 1 rep LlmContextEntry",
    "SwimLaneCreated": "+swim_lane 1 SwimLane, +user_id 2 string",
    "SwimLaneUpdated": "+swim_lane 1 SwimLane, +changes 2 rep FieldChange, +user_id 3 string",
    "SwimLaneDeleted": "+swim_lane_id 1 string, +project_id 2 string, +user_id 3 string",
    "ProjectMember": (
        "+project_id 1 string, +user_id 2 string, +role 3 ProjectRole, +created_at 4 int64, "
        "+updated_at 5 int64, +created_by 6 string, +updated_by 7 string"
    ),
    "ListMembersRequest": "+project_id 1 string",
    "MembersList": "+members 1 rep ProjectMember",
    "SetMemberRequest": "+project_id 1 string, +user_id 2 string, +role 3 ProjectRole",
    "RemoveMemberRequest": "+project_id 1 string, +user_id 2 string",
    "MemberAdded": "+member 1 ProjectMember, +user_id 2 string",
    "MemberUpdated": "+member 1 ProjectMember, +changes 2 rep FieldChange, +user_id 3 string",
    "MemberRemoved": "+project_id 1 string, +member_user_id 2 string, +user_id 3 string",
    "WebhookDisabled": "+webhook_id 1 string, +url 2 string, +project_id 3 opt string, "
    "+reason 4 string, +user_id 5 string",
}

SCALAR_TYPES = {
    "string": FieldDescriptor.TYPE_STRING,
    "int64": FieldDescriptor.TYPE_INT64,
    "int32": FieldDescriptor.TYPE_INT32,
    "bool": FieldDescriptor.TYPE_BOOL,
}


def _regenerate(out: Path) -> None:
    """Run the `make proto` command, writing into `out`."""
    plugin = shutil.which("protoc-gen-mypy", path=str(Path(sys.executable).parent))
    assert plugin, "protoc-gen-mypy is not installed beside this interpreter (uv sync)"
    args = [arg.format(out=out) for arg in PROTOC_ARGS]
    # Trusted, fixed arguments: the interpreter running this test and the locked generator.
    result = subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"--plugin=protoc-gen-mypy={plugin}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_generated_code_is_current(tmp_path: Path) -> None:
    _regenerate(tmp_path)
    for name in GENERATED:
        committed = (ROOT / "src" / "pm" / "proto" / name).read_text()
        assert (tmp_path / name).read_text() == committed, (
            f"src/pm/proto/{name} is stale: run `make proto` and commit the result"
        )


def test_makefile_target_runs_the_same_command() -> None:
    makefile = (ROOT / "Makefile").read_text()
    command = " ".join(arg.format(out="src/pm/proto") for arg in PROTOC_ARGS)
    assert f"$(UV) run --frozen python -m grpc_tools.protoc {command}\n" in makefile


def test_payload_cases_have_the_contract_numbers() -> None:
    oneof = pb.WebSocketMessage.DESCRIPTOR.oneofs_by_name["payload"]
    actual = {f.name: (f.number, f.message_type.name) for f in oneof.fields}
    assert actual == PAYLOAD_CASES | EXTENSION_CASES


def test_extensions_use_numbers_the_contract_does_not() -> None:
    contract = {number for number, _ in PAYLOAD_CASES.values()}
    for number, _ in EXTENSION_CASES.values():
        assert number not in contract
        assert 150 <= number <= 169


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_enum_values(name: str) -> None:
    enum = pb.DESCRIPTOR.enum_types_by_name[name]
    assert {v.name: v.number for v in enum.values} == ENUMS[name]


def test_work_item_type_one_stays_reserved() -> None:
    file = descriptor_pb2.FileDescriptorProto()
    pb.DESCRIPTOR.CopyToProto(file)
    (enum,) = (e for e in file.enum_type if e.name == "WorkItemType")
    # EnumReservedRange.end is inclusive.
    assert [(r.start, r.end) for r in enum.reserved_range] == [(1, 1)]


def test_every_message_is_specified() -> None:
    assert set(pb.DESCRIPTOR.message_types_by_name) == set(MESSAGES)


@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_message_fields(message: str) -> None:
    descriptor = pb.DESCRIPTOR.message_types_by_name[message]
    fields = {f.name: f for f in descriptor.fields if not _in_real_oneof(f)}
    specs = [spec.removeprefix("+").split(" ", 2) for spec in MESSAGES[message].split(", ") if spec]
    assert sorted(fields) == sorted(name for name, _, _ in specs)
    for name, number, kind in specs:
        field = fields[name]
        modifier, _, type_name = kind.rpartition(" ")
        assert field.number == int(number), name
        assert field.is_repeated == (modifier == "rep"), name
        if type_name in SCALAR_TYPES:
            assert field.type == SCALAR_TYPES[type_name], name
            assert field.has_presence == (modifier == "opt"), name
        elif type_name in ENUMS:
            assert field.enum_type.name == type_name, name
            assert field.has_presence == (modifier == "opt"), name
        else:
            assert field.message_type.name == type_name, name


def _in_real_oneof(field: FieldDescriptor) -> bool:
    """Whether `field` is a case of a declared oneof (not the synthetic one of `optional`)."""
    oneof = field.containing_oneof
    return oneof is not None and oneof.name != f"_{field.name}"


def _fill(message: Message, depth: int = 0) -> None:
    """Set every field of `message` (nested messages two levels deep) to a non-default value."""
    descriptor: Descriptor = message.DESCRIPTOR
    for field in descriptor.fields:
        if _in_real_oneof(field):
            continue  # the envelope's payload: the caller picks the case
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if depth < 2:
                children = getattr(message, field.name)
                child = children.add() if field.is_repeated else children
                _fill(child, depth + 1)
                if not field.is_repeated:
                    child.SetInParent()
            continue
        value = _sample(field)
        if field.is_repeated:
            getattr(message, field.name).extend([value, value])
        else:
            setattr(message, field.name, value)


def _sample(field: FieldDescriptor) -> object:
    if field.type == FieldDescriptor.TYPE_STRING:
        return f"{field.name}-é"
    if field.type == FieldDescriptor.TYPE_BOOL:
        return True
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.values[-1].number
    if field.type == FieldDescriptor.TYPE_INT64:
        return 1_700_000_000_000 + field.number
    return field.number + 1


@pytest.mark.parametrize("case", sorted(PAYLOAD_CASES | EXTENSION_CASES))
def test_every_payload_case_round_trips(case: str) -> None:
    envelope = pb.WebSocketMessage(message_id="m-1", timestamp=1_700_000_000, seq=7)
    payload = getattr(envelope, case)
    _fill(payload)
    payload.SetInParent()

    decoded = pb.WebSocketMessage.FromString(envelope.SerializeToString())

    assert decoded.WhichOneof("payload") == case
    assert decoded == envelope
    assert decoded.SerializeToString() == envelope.SerializeToString()


def test_wire_bytes_match_the_contract() -> None:
    ping = pb.WebSocketMessage(message_id="m", ping=pb.Ping(timestamp=5))
    # field 1 "m"; field 10 (tag 0x52) holding Ping{field 1 = 5}.
    assert ping.SerializeToString() == b"\x0a\x01m\x52\x02\x08\x05"
    llm = pb.WebSocketMessage(llm_context_list=pb.LlmContextList())
    # field 144, wire type 2: tag varint 0x82 0x09, empty body.
    assert llm.SerializeToString() == b"\x82\x09\x00"
