"""Live events of a project over /ws, resumed with since_seq after a dropped connection."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from pm.client.api import ApiError
from pm.client.config import Connection
from pm.proto import messages_pb2 as pb

_ids = itertools.count(1)
_ENTITIES = ("work_item", "sprint", "comment", "project", "time_entry", "dependency", "entry")


@dataclass(frozen=True, slots=True)
class EventLine:
    """One event as a client shows it."""

    seq: int
    kind: str
    subject: str
    detail: str
    user_id: str

    def text(self) -> str:
        """`#12 work_item_updated PONE-3 "Fix login" status: todo → done (alice)`."""
        parts = [f"#{self.seq}", self.kind, self.subject, self.detail]
        line = " ".join(p for p in parts if p)
        return f"{line} ({self.user_id})" if self.user_id else line


def describe(message: pb.WebSocketMessage) -> EventLine:
    """The line for an event frame: what changed, on what, by whom."""
    kind = message.WhichOneof("payload") or "unknown"
    payload: Message = getattr(message, kind)
    subject = ""
    for name in _ENTITIES:
        if payload.DESCRIPTOR.fields_by_name.get(name) is not None and payload.HasField(name):
            entity = getattr(payload, name)
            label = getattr(entity, "key", "") or getattr(entity, "id", "")
            title = getattr(entity, "title", "") or getattr(entity, "name", "")
            subject = f'{label} "{title}"' if title else str(label)
            break
    else:
        for field, value in payload.ListFields():
            if field.name.endswith("_id") and isinstance(value, str):
                subject = value
                break
    changes = getattr(payload, "changes", ())
    detail = ", ".join(
        f"{c.field_name}: {c.old_value or '∅'} → {c.new_value or '∅'}" for c in changes
    )
    return EventLine(message.seq, kind, subject, detail, getattr(payload, "user_id", ""))


def ws_url(server: str) -> str:
    """The /ws URL of a server given by its http(s) URL."""
    if server.startswith("https://"):
        return "wss://" + server.removeprefix("https://") + "/ws"
    return "ws://" + server.removeprefix("http://") + "/ws"


async def events(
    connection: Connection,
    project_id: str,
    *,
    on_notice: Callable[[str], None] = lambda _: None,
    retry_delays: tuple[float, ...] = (0.2, 0.5, 1, 2, 5),
) -> AsyncIterator[pb.WebSocketMessage]:
    """Every event of a project from now on, in seq order, across reconnections."""
    last_seq: int | None = None
    failures = 0
    while True:
        try:
            async with connect(
                ws_url(connection.server),
                additional_headers={"Authorization": f"Bearer {connection.token}"},
                max_size=2**24,
                open_timeout=10,
            ) as ws:
                sub = pb.Subscribe(project_ids=[project_id])
                if last_seq is not None:
                    sub.since_seq = last_seq
                envelope = pb.WebSocketMessage(message_id=f"w{next(_ids)}")
                envelope.subscribe.CopyFrom(sub)
                await ws.send(envelope.SerializeToString())
                async for data in ws:
                    if not isinstance(data, bytes):
                        continue
                    try:
                        message = pb.WebSocketMessage.FromString(data)
                    except DecodeError:
                        continue
                    case = message.WhichOneof("payload")
                    if case == "subscription_confirmed":
                        failures = 0
                        if last_seq is None:
                            last_seq = message.subscription_confirmed.current_seq
                            on_notice(f"live from seq {last_seq}")
                        else:
                            on_notice(f"resumed after seq {last_seq}")
                    elif case == "error":
                        err = message.error
                        if err.code == "RESYNC_REQUIRED":
                            on_notice("events were missed and are no longer kept; going on live")
                            last_seq = None
                            break
                        raise ApiError(_status_of(err.code), err.code, err.message, err.field)
                    elif message.seq and (last_seq is None or message.seq > last_seq):
                        last_seq = message.seq
                        yield message
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise ApiError(
                    status, "AUTHENTICATION_FAILED", "the server refused the token"
                ) from None
            failures += 1
            on_notice(f"the server answered {status}; retrying")
        except (ConnectionClosed, OSError, WebSocketException, TimeoutError) as exc:
            failures += 1
            if failures == 1 or failures % 10 == 0:
                on_notice(f"connection lost ({type(exc).__name__}); reconnecting")
        await asyncio.sleep(retry_delays[min(failures, len(retry_delays)) - 1] if failures else 0)


def _status_of(code: str) -> int:
    return {"NOT_FOUND": 404, "AUTHORIZATION_FAILED": 403, "AUTHENTICATION_FAILED": 401}.get(
        code, 422
    )
