"""Random and mutated frames into the WebSocket decoder and dispatcher of a real app.

Every frame, however broken, gets exactly one reply (a reply case or an `error`, never
INTERNAL_ERROR), dispatch never raises, and the tenant stays consistent and usable.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from google.protobuf.descriptor import FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pm.core.actor import Actor
from pm.proto import messages_pb2 as pb
from pm.ws.connection import Connection
from pm.ws.dispatch import CONNECTION_HANDLERS, handle
from pm.ws.handlers import HANDLERS
from tests import budget
from tests.property import invariants

PAYLOAD = pb.WebSocketMessage.DESCRIPTOR.oneofs_by_name["payload"]
CLIENT_CASES = sorted({*HANDLERS, *CONNECTION_HANDLERS})
SERVER_CASES = {f.name for f in PAYLOAD.fields} - set(CLIENT_CASES)
TENANT = "wsfuzz"
FUZZ = settings(
    max_examples=budget.examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_ids = itertools.count(1)


class RecordingSocket:
    """Stands in for the WebSocket: keeps every frame the connection sends."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)


@dataclass
class FrameClient:
    """A connection of the app, its socket, and the ids of entities made for the requests."""

    app: FastAPI
    conn: Connection
    socket: RecordingSocket
    ids: dict[str, str] = field(default_factory=dict)

    async def send(self, data: bytes) -> list[pb.WebSocketMessage]:
        """Dispatch one frame; the frames it caused (replies and events), decoded."""
        runtime = self.app.state.ws_runtime
        before = len(self.socket.sent)
        await handle(data, self.conn, runtime.services, runtime.hub)
        for _ in range(5):  # let the connection's sender task drain its queue
            await asyncio.sleep(0)
        return [pb.WebSocketMessage.FromString(f) for f in self.socket.sent[before:]]

    async def request(self, case: str, **values: Any) -> pb.WebSocketMessage:
        """Send a valid request; its one reply."""
        (reply,) = [m for m in await self.send(frame(case, self.ids, **values)) if m.seq == 0]
        return reply


@pytest.fixture
async def ws(app: FastAPI) -> AsyncIterator[FrameClient]:
    """A connection as alice, with a project, items, a sprint, a comment, a timer and a link."""
    runtime = app.state.ws_runtime
    socket = RecordingSocket()
    actor = Actor(TENANT, "alice")
    conn = Connection(socket, actor, runtime.limits, runtime.registry.bucket(actor))  # type: ignore[arg-type]
    sender = asyncio.create_task(conn.send_loop())
    c = FrameClient(app, conn, socket)
    ids = c.ids
    reply = await c.request("create_project_request", key="WSF", title="Fuzz")
    assert reply.WhichOneof("payload") == "project_created", reply
    ids["project"] = reply.project_created.project.id
    for name, item_type, parent in (
        ("epic", pb.WORK_ITEM_TYPE_EPIC, None),
        ("story", pb.WORK_ITEM_TYPE_STORY, "epic"),
        ("task", pb.WORK_ITEM_TYPE_TASK, "story"),
    ):
        parent_id = ids[parent] if parent else None
        reply = await c.request(
            "create_work_item_request", item_type=item_type, parent_id=parent_id
        )
        assert reply.WhichOneof("payload") == "work_item_created", reply
        ids[name] = reply.work_item_created.work_item.id
    for name, case, reply_case, entity in (
        ("sprint", "create_sprint_request", "sprint_created", "sprint"),
        ("comment", "create_comment_request", "comment_created", "comment"),
        ("entry", "start_timer_request", "timer_started", "time_entry"),
        ("dependency", "create_dependency_request", "dependency_created", "dependency"),
    ):
        reply = await c.request(case)
        assert reply.WhichOneof("payload") == reply_case, reply
        ids[name] = getattr(getattr(reply, reply_case), entity).id
    try:
        yield c
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)


def frame(case: str, ids: dict[str, str], **values: Any) -> bytes:
    """A serialized request of `case` with every field set to something plausible."""
    message = pb.WebSocketMessage(message_id=f"m{next(_ids)}", timestamp=1_700_000_000)
    payload = getattr(message, case)
    payload.SetInParent()
    for fd in payload.DESCRIPTOR.fields:
        value = values[fd.name] if fd.name in values else _plausible(fd, ids)
        if value is None:
            continue  # left unset
        if fd.is_repeated:
            getattr(payload, fd.name).extend(value)
        else:
            setattr(payload, fd.name, value)
    return message.SerializeToString()


_NAMED = {
    "key": "WSG",
    "status": "in_progress",
    "priority": "high",
    "entity_type": "work_item",
    "user_id": "bob",
    "started_at": 1_700_000_000,
    "start_date": 1_700_000_000,
    "ended_at": 1_700_003_600,
    "end_date": 1_700_600_000,
    "limit": 10,
    "item_type": pb.WORK_ITEM_TYPE_STORY,
}
_ID_OF = {
    "project_id": "project",
    "parent_id": "epic",
    "work_item_id": "story",
    "blocking_item_id": "story",
    "blocked_item_id": "task",
    "entity_id": "story",
    "sprint_id": "sprint",
    "comment_id": "comment",
    "time_entry_id": "entry",
    "dependency_id": "dependency",
}


def _plausible(fd: FieldDescriptor, ids: dict[str, str]) -> Any:
    name = fd.name.removesuffix("s") if fd.is_repeated else fd.name
    if name.endswith("_id") and name in _ID_OF:
        value: Any = ids.get(_ID_OF[name], "")
    elif name in _NAMED and isinstance(_NAMED[name], str) == (fd.type == fd.TYPE_STRING):
        value = _NAMED[name]  # (`status` is a string on work items, an enum elsewhere)
    elif fd.type == FieldDescriptor.TYPE_STRING:
        value = "fuzz"
    elif fd.type == FieldDescriptor.TYPE_ENUM:
        value = fd.enum_type.values[1].number  # the first value after *_UNSPECIFIED
    elif fd.type == FieldDescriptor.TYPE_BOOL:
        value = False
    else:
        value = 0
    return [value] if fd.is_repeated else value


Mutation = tuple[str, int, int]
MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "insert", "delete"]),
        st.integers(0, 10_000),
        st.integers(1, 255),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, mutations: list[Mutation]) -> bytes:
    """Flip, insert or delete bytes at the given positions (taken modulo the length)."""
    out = bytearray(data)
    for kind, position, value in mutations:
        at = position % (len(out) + 1)
        if kind == "insert":
            out[at:at] = bytes([value])
        elif out and kind == "flip":
            out[at % len(out)] ^= value
        elif out:
            del out[at % len(out) : at % len(out) + 1 + value % 4]
    return bytes(out)


def _request_id(data: bytes) -> str | None:
    try:
        return pb.WebSocketMessage.FromString(data).message_id
    except Exception:
        return None


async def _exactly_one_reply(ws: FrameClient, data: bytes) -> None:
    frames = await ws.send(data)
    replies = [m for m in frames if m.seq == 0]
    assert len(replies) == 1, [m.WhichOneof("payload") for m in replies]
    reply = replies[0]
    case = reply.WhichOneof("payload")
    assert case in SERVER_CASES, case
    if case == "error":
        assert reply.error.code != "INTERNAL_ERROR", reply.error.message
    message_id = _request_id(data)
    assert reply.message_id == (message_id or ""), (reply.message_id, message_id)


@given(data=st.binary(max_size=600))
@FUZZ
async def test_random_bytes(ws: FrameClient, data: bytes) -> None:
    """Arbitrary bytes: one reply each, never a crash."""
    await _exactly_one_reply(ws, data)


@given(case=st.sampled_from(CLIENT_CASES), mutations=MUTATIONS)
@FUZZ
async def test_mutated_requests(ws: FrameClient, case: str, mutations: list[Mutation]) -> None:
    """Valid requests of every case with bytes flipped, inserted or deleted: one reply each."""
    await _exactly_one_reply(ws, mutate(frame(case, ws.ids), mutations))


@pytest.mark.parametrize("case", CLIENT_CASES)
async def test_valid_requests(ws: FrameClient, case: str) -> None:
    """Unmutated, every case gets its reply (the seeds of the mutations are well-formed)."""
    reply = await ws.request(case)
    assert reply.WhichOneof("payload") in SERVER_CASES
    assert reply.error.code in ("", "VALIDATION_ERROR", "CONFLICT", "NOT_FOUND"), reply.error


async def test_still_consistent_after_fuzzing(ws: FrameClient, app: FastAPI) -> None:
    """After a burst of mangled frames: a plain create works and the tenant's invariants hold."""
    for i in range(200):
        seed = frame(CLIENT_CASES[i % len(CLIENT_CASES)], ws.ids)
        await _exactly_one_reply(ws, mutate(seed, [("flip", i * 7, 1 + i % 255)]))
    # The burst may have deleted the seeded project: make a new one and an item in it.
    reply = await ws.request("create_project_request", key="WSZ")
    assert reply.WhichOneof("payload") == "project_created", reply
    project_id = reply.project_created.project.id
    reply = await ws.request("create_work_item_request", project_id=project_id, parent_id=None)
    assert reply.WhichOneof("payload") == "work_item_created", reply
    path = app.state.services.tenancy.manager.tenant_path(TENANT)
    with invariants.read_only(path) as conn:
        problems = [p for check in invariants.STATE_CHECKS for p in check(conn)]
    assert not problems, problems
