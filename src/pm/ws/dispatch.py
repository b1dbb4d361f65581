"""Decoding a frame, and routing its payload case to the handler that answers it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from google.protobuf.message import DecodeError

from pm.events.hub import Hub
from pm.proto import messages_pb2 as pb
from pm.ws import shape, subscriptions
from pm.ws.connection import Connection
from pm.ws.context import CommandContext, WsServices, envelope
from pm.ws.errors import error_message, from_exception
from pm.ws.handlers import HANDLERS

log = logging.getLogger(__name__)

ConnectionHandler = Callable[[CommandContext, Connection, Hub], Awaitable[None]]

CONNECTION_HANDLERS: dict[str, ConnectionHandler] = {
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "ping": subscriptions.ping,
}


def _error(message_id: str, code: str, text: str, field: str | None = None) -> bytes:
    return envelope(message_id, ("error", error_message(code, text, field)))


async def handle(data: bytes, conn: Connection, services: WsServices, hub: Hub) -> None:
    """Answer one binary frame: exactly one reply (or Error) per request, never a crash."""
    try:
        message = pb.WebSocketMessage.FromString(data)
    except (DecodeError, ValueError, RuntimeError):
        conn.send(_error("", "VALIDATION_ERROR", "the frame is not a protobuf WebSocketMessage"))
        return
    case = message.WhichOneof("payload")
    if case is None:
        conn.send(
            _error(
                message.message_id,
                "VALIDATION_ERROR",
                "unknown or missing payload (see docs/protocol.md)",
                "payload",
            )
        )
        return
    ctx = CommandContext(conn.actor, services, message)
    try:
        special = CONNECTION_HANDLERS.get(case)
        if special is not None:
            await special(ctx, conn, hub)
            return
        handler = HANDLERS.get(case)
        if handler is None:
            conn.send(
                _error(
                    message.message_id,
                    "VALIDATION_ERROR",
                    f"{case} is not a request a client can send",
                    "payload",
                )
            )
            return
        shape.check(getattr(message, case))
        conn.send(await handler(ctx))
    except Exception as exc:
        conn.send(envelope(message.message_id, ("error", from_exception(exc))))
