"""The /ws endpoint: authenticate before the upgrade, then serve one connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from google.protobuf.message import DecodeError
from starlette.responses import Response
from starlette.websockets import WebSocket

from pm.auth.host import HostAuthenticator
from pm.auth.jwt import LEEWAY_SECONDS, TokenVerifier
from pm.core.actor import Actor
from pm.core.errors import DomainError, RateLimited
from pm.core.records import record
from pm.events.hub import Hub
from pm.metrics import Metrics
from pm.proto import messages_pb2 as pb
from pm.ws import dispatch
from pm.ws.connection import Connection
from pm.ws.context import WsServices, envelope
from pm.ws.errors import error_message
from pm.ws.handshake import bearer_token, check_origin, chosen_subprotocol
from pm.ws.limits import (
    CLOSE_RATE_LIMITED,
    CLOSE_SLOW_CONSUMER,
    CLOSE_TOKEN_EXPIRED,
    CLOSE_TOO_BIG,
    CLOSE_UNSUPPORTED_DATA,
    WsLimits,
)
from pm.ws.registry import ConnectionRegistry

log = logging.getLogger(__name__)


class ConnectionHooks(Protocol):
    """Told when a connection is set up and when it ended (the server's heap policy)."""

    def opened(self) -> None:
        """A connection is set up."""

    def closed(self) -> None:
        """A connection ended."""


@record
class WsRuntime:
    """Everything the endpoint needs, built once by the app factory."""

    services: WsServices
    verifier: TokenVerifier | None  # None in plugin mode: `host` authenticates
    hub: Hub
    registry: ConnectionRegistry
    limits: WsLimits
    allowed_origins: frozenset[str]
    http_error: Callable[[DomainError], Response]  # the REST error mapping, for refusals
    heap: ConnectionHooks
    host: HostAuthenticator | None = None  # plugin mode: the host authenticates, not our JWTs
    metrics: Metrics | None = None


async def websocket_endpoint(ws: WebSocket) -> None:
    """Serve one WebSocket connection."""
    runtime: WsRuntime = ws.app.state.ws_runtime
    try:
        actor, expires = await _authenticate(ws, runtime)
        check_origin(ws, runtime.allowed_origins)
        runtime.registry.admit(actor)
    except DomainError as exc:
        if isinstance(exc, RateLimited) and runtime.metrics is not None:
            runtime.metrics.rate_limited.labels("ws").inc()
        await _refuse(ws, exc, runtime)
        return
    metrics = runtime.metrics
    if metrics is not None:
        metrics.ws_connections.inc()
    try:
        await ws.accept(subprotocol=chosen_subprotocol(ws))
        conn = Connection(ws, actor, runtime.limits, runtime.registry.bucket(actor))
        runtime.heap.opened()
        log.info("websocket open", extra={"tenant_id": actor.tenant_id, "user_id": actor.user_id})
        await _serve(conn, runtime, expires)
    finally:
        runtime.registry.leave(actor)
        runtime.heap.closed()
        if metrics is not None:
            metrics.ws_connections.dec()


async def _authenticate(ws: WebSocket, runtime: WsRuntime) -> tuple[Actor, int | None]:
    if runtime.host is not None:
        return await runtime.host.check(ws.scope)
    if runtime.verifier is None:
        raise RuntimeError("the WebSocket endpoint has neither a verifier nor a host authenticator")
    return runtime.verifier.check(bearer_token(ws))


async def _refuse(ws: WebSocket, exc: DomainError, runtime: WsRuntime) -> None:
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(runtime.http_error(exc))
    else:
        await ws.close(1008, exc.message[:120])


async def _serve(conn: Connection, runtime: WsRuntime, expires: int | None) -> None:
    loop = asyncio.get_running_loop()
    receiver = asyncio.create_task(_receive_loop(conn, runtime))
    sender = asyncio.create_task(conn.send_loop())
    conn.tasks = (receiver, sender)
    expiry = None
    if expires is not None:
        expiry = loop.call_later(
            max(0.0, expires + LEEWAY_SECONDS - time.time()),
            conn.drop,
            CLOSE_TOKEN_EXPIRED,
            "the token has expired; reconnect with a new one",
        )
    try:
        await asyncio.wait((receiver, sender), return_when=asyncio.FIRST_COMPLETED)
        if conn.flushing and not sender.done():
            await asyncio.wait((sender,), timeout=2)
    finally:
        if expiry is not None:
            expiry.cancel()
        runtime.hub.unsubscribe(conn.actor.tenant_id, conn, conn.topics)
        for task in conn.tasks:
            task.cancel()
        await asyncio.gather(*conn.tasks, return_exceptions=True)
        code = conn.close_code
        if code is not None and code[0] == CLOSE_SLOW_CONSUMER and runtime.metrics is not None:
            runtime.metrics.slow_consumers.inc()
        if code is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.ws.close(*code), timeout=2)
        log.info(
            "websocket closed",
            extra={
                "tenant_id": conn.actor.tenant_id,
                "user_id": conn.actor.user_id,
                "close_code": code[0] if code else None,
            },
        )


async def _receive_loop(conn: Connection, runtime: WsRuntime) -> None:
    limits = runtime.limits
    while True:
        message = await conn.ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        data = message.get("bytes")
        if data is None:
            conn.drop(CLOSE_UNSUPPORTED_DATA, "binary protobuf frames only")
            return
        if len(data) > limits.max_frame_bytes:
            conn.drop(CLOSE_TOO_BIG, f"frames are limited to {limits.max_frame_bytes} bytes")
            return
        if not conn.bucket.take(time.monotonic()):
            if _rate_limited(conn, data, limits, runtime.metrics):
                return
            continue
        conn.rate_violations = 0
        await dispatch.handle(data, conn, runtime.services, runtime.hub)


def _rate_limited(
    conn: Connection, data: bytes, limits: WsLimits, runtime_metrics: Metrics | None
) -> bool:
    """Answer RATE_LIMIT_EXCEEDED; True when the client kept flooding and was closed."""
    conn.rate_violations += 1
    if runtime_metrics is not None:
        runtime_metrics.rate_limited.labels("ws").inc()
    if conn.rate_violations > limits.max_rate_violations:
        conn.drop(CLOSE_RATE_LIMITED, "too many messages", flush=True)
        return True
    try:
        message_id = pb.WebSocketMessage.FromString(data).message_id
    except (DecodeError, ValueError, RuntimeError):
        message_id = ""
    conn.send(
        envelope(
            message_id,
            (
                "error",
                error_message(
                    "RATE_LIMIT_EXCEEDED", f"at most {limits.rate_per_second:g} messages per second"
                ),
            ),
        )
    )
    return False
