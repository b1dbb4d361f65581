"""Domain errors → application/problem+json, in exactly one place."""

from __future__ import annotations

import logging
from typing import Any, cast

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from pm.core import errors as e
from pm.logs import request_id

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

_STATUS: tuple[tuple[type[e.DomainError], int], ...] = (
    (e.InvalidInput, 422),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.Forbidden, 403),
    (e.Unauthenticated, 401),
    (e.Unavailable, 503),
    (e.RateLimited, 429),
    (e.ResyncRequired, 410),
)
_TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_HTTP_CODES = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    401: "AUTHENTICATION_FAILED",
    403: "AUTHORIZATION_FAILED",
}


def status_of(exc: e.DomainError) -> int:
    """The HTTP status of a domain error."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem response carrying the protocol's error code."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body.update(extra)
    rid = request_id.get()
    if rid is not None:
        body["request_id"] = rid
    return Response(orjson.dumps(body), status, headers=headers, media_type=PROBLEM)


def domain_error_response(exc: e.DomainError) -> Response:
    """The problem response for a domain error."""
    status = status_of(exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, e.Unauthenticated):
        description = exc.message.replace('"', "'")
        headers["WWW-Authenticate"] = (
            f'Bearer realm="pm", error="invalid_token", error_description="{description}"'
        )
    if isinstance(exc, e.Unavailable | e.RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, e.RateLimited) and exc.limit is not None:
        headers["RateLimit-Limit"] = str(exc.limit)
        headers["RateLimit-Remaining"] = "0"
        headers["RateLimit-Reset"] = str(exc.retry_after)
    if isinstance(exc, e.Conflict) and exc.current is not None:
        extra["current"] = orjson.loads(orjson.dumps(exc.current))
    if status == 500:
        log.error("unmapped domain error", exc_info=exc)
    return problem(status, exc.code, exc.message, field=exc.field, headers=headers, **extra)


def _field_of(loc: tuple[int | str, ...]) -> str:
    parts = (
        [str(p) for p in loc[1:]]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie")
        else list(map(str, loc))
    )
    return ".".join(parts) or str(loc[0] if loc else "body")


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into problem+json."""

    async def on_domain(_: Request, exc: Exception) -> Response:
        return domain_error_response(cast(e.DomainError, exc))

    async def on_validation(_: Request, exc: Exception) -> Response:
        errors = [
            {"field": _field_of(tuple(err.get("loc", ()))), "message": err.get("msg", "")}
            for err in cast(RequestValidationError, exc).errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid request"}
        detail = "; ".join(f"{x['field']}: {x['message']}" for x in errors) or "invalid request"
        return problem(422, "VALIDATION_ERROR", detail, field=first["field"], errors=errors)

    async def on_http(_: Request, exc: Exception) -> Response:
        http = cast(StarletteHTTPException, exc)
        code = _HTTP_CODES.get(http.status_code, "HTTP_ERROR")
        headers = dict(http.headers) if http.headers else None
        return problem(http.status_code, code, str(http.detail), headers=headers)

    async def on_unexpected(_: Request, exc: Exception) -> Response:
        log.error("unhandled error", exc_info=exc)
        return problem(500, "INTERNAL_ERROR", "an unexpected error occurred; it has been logged")

    app.add_exception_handler(e.DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
