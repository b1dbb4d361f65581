"""What a command handler gets: the connection's actor, the service entry, the request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from google.protobuf.message import Message

from pm.core.actor import Actor
from pm.core.records import record
from pm.events.codec import event_payload
from pm.events.types import Event, EventKind, is_entity
from pm.proto import messages_pb2 as pb
from pm.service import idempotency
from pm.service.uow import Reader, Tenancy, UnitOfWork

T = TypeVar("T")
Reply = tuple[str, Message]  # (payload case name, protobuf message)


@record
class WsServices:
    """What the WebSocket layer needs from the rest of the server."""

    tenancy: Tenancy


def envelope(message_id: str, reply: Reply) -> bytes:
    """A reply frame: the request's message_id, the server time and the payload."""
    case, payload = reply
    message = pb.WebSocketMessage(message_id=message_id, timestamp=int(time.time()))
    getattr(message, case).CopyFrom(payload)
    return message.SerializeToString()


class CommandContext:
    """One request on a connection; replies carry its message_id."""

    __slots__ = ("actor", "message", "services")

    def __init__(self, actor: Actor, services: WsServices, message: pb.WebSocketMessage) -> None:
        self.actor = actor
        self.services = services
        self.message = message

    @property
    def message_id(self) -> str:
        """The request's id (echoed in the reply)."""
        return self.message.message_id

    async def read(self, run: Callable[[Reader], Awaitable[T]]) -> T:
        """Run a read-only use case."""
        async with self.services.tenancy.reading(self.actor) as reader:
            return await run(reader)

    async def write(
        self, run: Callable[[UnitOfWork], Awaitable[T]], reply: Callable[[T], Reply]
    ) -> bytes:
        """Run a use case in one transaction; returns the encoded reply frame.

        A request whose message_id was already answered (within the idempotency window) gets
        the first reply again and writes nothing.
        """
        message_id = self.message.message_id
        key = None
        if message_id:
            case = self.message.WhichOneof("payload") or ""
            payload = getattr(self.message, case).SerializeToString(deterministic=True)
            digest = idempotency.fingerprint(b"ws", case.encode(), payload)
            key = idempotency.Key(f"ws:{message_id}", digest, "message_id")

        def answer(result: T) -> tuple[int, bytes]:
            return 200, envelope(message_id, reply(result))

        _, body, _ = await idempotency.write(self.services.tenancy, self.actor, run, answer, key)
        return body

    async def announce(
        self, run: Callable[[UnitOfWork], Awaitable[object]], *kinds: EventKind
    ) -> bytes:
        """Run a use case whose reply is the event it emits, of one of `kinds`.

        The caller gets the very payload its subscribers get. An update that changes nothing
        emits no event and is answered with the last of `kinds`, built from the result.
        """
        emitted: list[Event] = []

        async def run_and_keep(uow: UnitOfWork) -> object:
            result = await run(uow)
            emitted.extend(e for e in uow.events if e.kind in kinds)
            return result

        def reply(result: object) -> Reply:
            if emitted:
                return event_payload(emitted[-1])
            entity = result if is_entity(result) else None
            event = Event(
                kinds[-1],
                self.actor.user_id,
                str(getattr(result, "id", "")),
                getattr(result, "project_id", None),
                entity,
            )
            return event_payload(event)

        return await self.write(run_and_keep, reply)
