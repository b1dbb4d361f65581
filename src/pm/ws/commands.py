"""The registry of command handlers, by request payload case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pm.proto import messages_pb2 as pb
from pm.ws.context import CommandContext

Handler = Callable[[CommandContext], Awaitable[bytes]]

HANDLERS: dict[str, Handler] = {}


def command(case: str) -> Callable[[Handler], Handler]:
    """Register the handler of a request payload case (one per case)."""
    if case not in pb.WebSocketMessage.DESCRIPTOR.fields_by_name:
        raise ValueError(f"{case} is not a payload case of WebSocketMessage")

    def register(handler: Handler) -> Handler:
        if case in HANDLERS:
            raise ValueError(f"{case} already has a handler")
        HANDLERS[case] = handler
        return handler

    return register
