"""Domain errors → application/problem+json, in exactly one place."""

from __future__ import annotations

import logging
from typing import Any, cast

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
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
    if isinstance(exc, e.OperationFailed):
        extra["index"] = exc.index
        extra["operation_status"] = status_of(exc.cause)
        extra["operation_code"] = exc.cause.code
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
        if http.status_code == 400:
            # FastAPI's answer to a body it cannot decode (not UTF-8, say): invalid input,
            # like a body that is not JSON.
            return problem(422, "VALIDATION_ERROR", str(http.detail), field="body")
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


class FieldProblem(BaseModel):
    """One problem with one field of a request."""

    field: str
    message: str


class Problem(BaseModel):
    """Every error response: an RFC 9457 problem (application/problem+json) with a `code`."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    field: str | None = None
    request_id: str | None = None
    errors: list[FieldProblem] | None = None
    current: dict[str, Any] | None = None
    index: int | None = None
    operation_status: int | None = None
    operation_code: str | None = None


def problem_doc(description: str) -> dict[str, Any]:
    """The OpenAPI description of an error answer (a Problem, as application/problem+json)."""
    return {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


# The error answers every authenticated route may give (`responses=` of the API routers).
RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_doc("AUTHENTICATION_FAILED: missing or invalid bearer token"),
    403: problem_doc("AUTHORIZATION_FAILED or TENANT_NOT_PROVISIONED"),
    404: problem_doc("NOT_FOUND: missing, deleted, or another tenant's"),
    409: problem_doc("CONFLICT: stale expected_version / If-Match (`current` holds the row)"),
    413: problem_doc("PAYLOAD_TOO_LARGE: the body is over MAX_BODY_BYTES"),
    422: problem_doc("VALIDATION_ERROR: invalid input or a broken rule (`field` names it)"),
    429: problem_doc("RATE_LIMIT_EXCEEDED: too many requests (see Retry-After)"),
    503: problem_doc("SERVICE_UNAVAILABLE: the tenant database is busy (see Retry-After)"),
}
