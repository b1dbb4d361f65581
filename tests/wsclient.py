"""A small protobuf WebSocket client for tests (over the `websockets` library)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from google.protobuf.message import Message
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from pm.proto import messages_pb2 as pb

_ids = itertools.count(1)


class WsClient:
    """Sends requests, collects replies by message_id and events as they come."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, url: str, token: str | None = None, **kwargs: Any) -> WsClient:
        """Connect to `url` (ws://...) with a bearer token in the Authorization header."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kwargs.pop("additional_headers", {}))
        conn = await connect(url, additional_headers=headers, max_size=2**24, **kwargs)
        return cls(conn)

    async def send(self, case: str, payload: Message, message_id: str | None = None) -> str:
        """Send one request; returns its message_id."""
        message_id = message_id if message_id is not None else f"m{next(_ids)}"
        envelope = pb.WebSocketMessage(message_id=message_id, timestamp=1)
        getattr(envelope, case).CopyFrom(payload)
        await self.conn.send(envelope.SerializeToString())
        return message_id

    async def recv(self, wait: float = 5.0) -> pb.WebSocketMessage:
        """The next frame, decoded."""
        data = await asyncio.wait_for(self.conn.recv(), wait)
        assert isinstance(data, bytes), "the server sent a text frame"
        return pb.WebSocketMessage.FromString(data)

    async def request(
        self, case: str, payload: Message, message_id: str | None = None, wait: float = 5.0
    ) -> pb.WebSocketMessage:
        """Send and wait for the reply carrying the same message_id (events are skipped)."""
        sent = await self.send(case, payload, message_id)
        while True:
            message = await self.recv(wait)
            if message.message_id == sent and message.seq == 0:
                return message

    async def event(self, kind: str, wait: float = 5.0) -> pb.WebSocketMessage:
        """Wait for the next event of `kind` (other frames are skipped)."""
        while True:
            message = await self.recv(wait)
            if message.seq and message.WhichOneof("payload") == kind:
                return message

    async def events(self, count: int, wait: float = 5.0) -> list[pb.WebSocketMessage]:
        """The next `count` events (replies are skipped)."""
        found: list[pb.WebSocketMessage] = []
        while len(found) < count:
            message = await self.recv(wait)
            if message.seq:
                found.append(message)
        return found

    async def silent(self, within: float = 2.0) -> bool:
        """True when nothing at all arrives within `within` seconds."""
        try:
            await asyncio.wait_for(self.conn.recv(), within)
        except TimeoutError:
            return True
        return False

    async def close(self) -> None:
        """Close the connection."""
        await self.conn.close()


def subscribe(
    project_ids: list[str] | None = None,
    sprint_ids: list[str] | None = None,
    work_item_ids: list[str] | None = None,
    since_seq: int | None = None,
) -> pb.Subscribe:
    """A Subscribe payload."""
    message = pb.Subscribe(
        project_ids=project_ids or [],
        sprint_ids=sprint_ids or [],
        work_item_ids=work_item_ids or [],
    )
    if since_seq is not None:
        message.since_seq = since_seq
    return message


async def drain(
    client: WsClient, wait: float = 10.0
) -> tuple[list[pb.WebSocketMessage], int | None]:
    """Read until the server closes: every frame received, and the close code it sent."""
    frames: list[pb.WebSocketMessage] = []
    try:
        while True:
            frames.append(await client.recv(wait))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None
