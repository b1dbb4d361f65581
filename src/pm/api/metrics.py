"""`GET /metrics`: Prometheus text, for loopback clients or holders of METRICS_TOKEN."""

from __future__ import annotations

import hmac
import ipaddress

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from pm.api.errors import problem
from pm.api.headers import header
from pm.metrics import CONTENT_TYPE, Metrics


def refusal(scope: Scope, token: str | None) -> Response | None:
    """Why a scrape is refused, or None when it may read the metrics.

    With METRICS_TOKEN set, every client must send it as a bearer token (a reverse proxy on
    the same machine would make every client look local); without it, loopback clients only.
    """
    if token is not None:
        scheme, _, given = (header(scope, b"authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        return problem(
            401,
            "AUTHENTICATION_FAILED",
            "send the metrics token: Authorization: Bearer <METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if _loopback(scope):
        return None
    return problem(
        403,
        "AUTHORIZATION_FAILED",
        "metrics are served to loopback clients only; set METRICS_TOKEN to scrape from elsewhere",
    )


def _loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


async def metrics_endpoint(request: Request) -> Response:
    """The server's metrics in the Prometheus text format."""
    refused = refusal(request.scope, request.app.state.metrics_token)
    if refused is not None:
        return refused
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.render(), media_type=CONTENT_TYPE)


class MetricsRoute(Route):
    """`GET /metrics`, naming itself in the scope as FastAPI's routes do (for its own count)."""

    def __init__(self) -> None:
        super().__init__("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """Starlette's match, plus `scope["route"]`, which FastAPI's router leaves unset."""
        match, child = super().matches(scope)
        if match is not Match.NONE:
            child["route"] = self
        return match, child
