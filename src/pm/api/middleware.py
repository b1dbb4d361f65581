"""Pure ASGI middleware: request id, access log line, request body limit."""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pm.api.context import ACTOR, SERVICES, Services, actor_of
from pm.api.errors import domain_error_response, problem
from pm.api.inflight import InFlight
from pm.auth.host import HostAuthenticator
from pm.core.errors import DomainError, RateLimited
from pm.core.ids import random_bytes
from pm.logs import request_id
from pm.metrics import UNMATCHED, Metrics

access_log = logging.getLogger("pm.access")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class RequestContextMiddleware:
    """Gives every HTTP request and WebSocket an id, logs one line per request, caps bodies."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        access_log_enabled: bool = True,
        streamed: dict[str, int] | None = None,
        metrics: Metrics | None = None,
        inflight: InFlight | None = None,
    ) -> None:
        self.app = app
        self.inflight = inflight
        self.max_body = max_body_bytes
        self.log_access = access_log_enabled
        # Paths whose route reads the body as a stream and enforces this limit itself;
        # here only a declared Content-Length over it is refused.
        self.streamed = streamed or {}
        self.metrics = metrics

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
        rid = rid or random_bytes(16).hex()
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
        outer_route = scope.get("route")  # a host's Mount, in plugin mode
        if self.inflight is not None:
            self.inflight.enter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            limit = self.streamed.get(scope["path"])
            streamed = limit is not None
            limit = self.max_body if limit is None else limit
            too_large = length is not None and (not length.isdigit() or int(length) > limit)
            if length is None and not streamed and scope["method"] in ("POST", "PUT", "PATCH"):
                # A body without Content-Length (chunked) is read up front, up to the limit.
                body = await self._read_capped(receive)
                too_large = body is None
                receive = _replay(body or b"", receive)
            if too_large:
                response = problem(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"the request body exceeds the limit of {limit} bytes",
                    headers={"Connection": "close"},
                )
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            if self.inflight is not None:
                self.inflight.leave()
            elapsed = time.perf_counter() - start
            if self.metrics is not None:
                route = scope.get("route")
                template = route.path if route is not outer_route and route else UNMATCHED
                self.metrics.request(template, scope["method"], status, elapsed)
            if self.log_access and access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )

    async def _read_capped(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it grows past the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the already-read body once, then defers to `receive`."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class AuthMiddleware:
    """Authenticates every request under the API prefix before it is routed.

    A missing or bad token is answered 401 here — before the body is even read, so nobody
    learns the shape of a request without a token — and routes find the actor and the
    services in the scope (`pm.api.context.context`). Doing it here also spares FastAPI a
    dependency per request.
    """

    def __init__(
        self,
        app: ASGIApp,
        prefix: str,
        services: Services,
        host: HostAuthenticator | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.services = services
        self.host = host  # plugin mode: the host platform authenticates instead of our JWTs
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope) if scope.get("root_path") else scope["path"]
        if not path.startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        try:
            if self.host is None:
                actor = actor_of(scope["headers"], self.services)
            else:
                actor = (await self.host.check(scope))[0]
                if self.services.limiter is not None:
                    self.services.limiter.check(actor)
        except DomainError as exc:
            if isinstance(exc, RateLimited) and self.metrics is not None:
                self.metrics.rate_limited.labels("rest").inc()
            await domain_error_response(exc)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state[ACTOR] = actor
        state[SERVICES] = self.services
        await self.app(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path inside this app: mounted under a prefix (plugin mode), `path` still holds it."""
    path: str = scope["path"]
    root: str = scope["root_path"]
    return path[len(root) :] if path.startswith(root) else path
