"""Pure ASGI middleware: request id, access log line, request body limit."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pm.api.errors import PayloadTooLarge, problem
from pm.logs import request_id

access_log = logging.getLogger("pm.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestContextMiddleware:
    """Gives every HTTP request and WebSocket an id, logs one line per request, caps bodies."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, access_log_enabled: bool = True) -> None:
        self.app = app
        self.max_body = max_body_bytes
        self.log_access = access_log_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = None
        length = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                rid = candidate if _VALID_ID.match(candidate) else None
            elif name == b"content-length":
                length = value
        rid = rid or uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return
            await self._http(scope, receive, send, rid, length)
        finally:
            request_id.reset(token)

    async def _http(
        self, scope: Scope, receive: Receive, send: Send, rid: str, length: bytes | None
    ) -> None:
        start = time.perf_counter()
        status = 500
        header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                response = problem(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"the request body exceeds the limit of {self.max_body} bytes",
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, self._limited(receive), send_with_id)
        finally:
            if self.log_access:
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                    },
                )

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit)
            return message

        return receive_limited
