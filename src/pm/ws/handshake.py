"""Before the upgrade: find the token (header, subprotocol or query) and check the Origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from pm.core.errors import Forbidden, Unauthenticated
from pm.ws.limits import BEARER_PROTOCOL_PREFIX, SUBPROTOCOL


def bearer_token(ws: WebSocket) -> str:
    """The token from `Authorization: Bearer`, a `bearer.<jwt>` subprotocol or `access_token`."""
    header = ws.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise Unauthenticated("the Authorization header must be 'Bearer <jwt>'")
    for protocol in ws.scope.get("subprotocols", ()):
        if protocol.startswith(BEARER_PROTOCOL_PREFIX):
            return str(protocol[len(BEARER_PROTOCOL_PREFIX) :])
    query = ws.query_params.get("access_token")
    if query:
        return query
    raise Unauthenticated(
        "missing token: send Authorization: Bearer <jwt>, the subprotocol "
        f"'{BEARER_PROTOCOL_PREFIX}<jwt>' or ?access_token=<jwt>"
    )


def chosen_subprotocol(ws: WebSocket) -> str | None:
    """The protocol name echoed to the client (never the token)."""
    return SUBPROTOCOL if SUBPROTOCOL in ws.scope.get("subprotocols", ()) else None


def check_origin(ws: WebSocket, allowed: frozenset[str]) -> None:
    """Browsers must come from an allowed origin (or the server's own); no Origin is fine."""
    origin = ws.headers.get("origin")
    if origin is None:
        return
    normalised = origin.rstrip("/")
    if normalised in allowed or "*" in allowed:
        return
    if urlsplit(normalised).netloc.lower() == ws.headers.get("host", "").lower():
        return
    raise Forbidden(f"origin {origin!r} is not allowed (set CORS_ORIGINS)")
