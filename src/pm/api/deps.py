"""The request context every route receives: the authenticated actor and the service entry."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from starlette.responses import Response

from pm.api.headers import header
from pm.api.ratelimit import RateLimiter
from pm.auth.jwt import TokenVerifier
from pm.core.actor import Actor
from pm.core.errors import InvalidInput, Unauthenticated
from pm.core.records import record
from pm.service import idempotency
from pm.service.uow import Reader, Tenancy, UnitOfWork

T = TypeVar("T")
JSON = "application/json"
ACTOR = "pm.actor"  # where AuthMiddleware leaves the actor in the ASGI scope's state
SERVICES = "pm.services"  # ... and the services
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@record
class Services:
    """What the API needs from the rest of the server (built by the app factory)."""

    tenancy: Tenancy
    verifier: TokenVerifier
    limiter: RateLimiter | None = None


def render(result: object) -> bytes:
    """JSON bytes of a result (dataclasses serialise natively)."""
    return orjson.dumps(result)


class Context:
    """The actor of one request and the two ways it reaches its tenant: read and write."""

    __slots__ = ("actor", "request", "services")

    def __init__(self, request: Request, actor: Actor, services: Services) -> None:
        self.request = request
        self.actor = actor
        self.services = services

    async def read(self, run: Callable[[Reader], Awaitable[T]]) -> T:
        """Run a read-only use case."""
        async with self.services.tenancy.reading(self.actor) as reader:
            return await run(reader)

    async def respond(self, run: Callable[[Reader], Awaitable[Any]]) -> Response:
        """Run a read-only use case and answer 200 with its JSON."""
        return Response(render(await self.read(run)), media_type=JSON)

    async def write(
        self, run: Callable[[UnitOfWork], Awaitable[Any]], status: int = 200
    ) -> Response:
        """Run a use case in one transaction and answer with its JSON (204: no body).

        With an Idempotency-Key header the answer is stored in the same transaction, and a
        retry gets the stored answer without writing anything again.
        """
        key = header(self.request.scope, b"idempotency-key")
        tenancy = self.services.tenancy
        if key is None:
            async with tenancy.unit_of_work(self.actor) as uow:
                result = await run(uow)
            return _response(status, result)
        if not _KEY.match(key):
            raise InvalidInput(
                "Idempotency-Key must be 1-255 printable ASCII characters", field="Idempotency-Key"
            )
        scope = self.request.scope
        digest = idempotency.fingerprint(
            scope["method"].encode(),
            scope["path"].encode(),
            scope["query_string"],
            await self.request.body(),
        )

        async def answer(uow: UnitOfWork) -> tuple[int, bytes]:
            result = await run(uow)
            return status, b"" if status == 204 else render(result)

        stored, first = await idempotency.once(tenancy, self.actor, key, digest, answer)
        return _stored(stored.status_code, stored.body, replayed=not first)


def _response(status: int, result: object) -> Response:
    if status == 204:
        return Response(status_code=204)
    return Response(render(result), status, media_type=JSON)


def _stored(status: int, body: bytes, replayed: bool = True) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    if status == 204:
        return Response(status_code=204, headers=headers)
    return Response(body, status, headers=headers, media_type=JSON)


def context(request: Request) -> Context:
    """The authenticated context of a request (see `AuthMiddleware`)."""
    state = request.scope["state"]
    return Context(request, state[ACTOR], state[SERVICES])


def actor_of(headers: Iterable[tuple[bytes, bytes]], services: Services) -> Actor:
    """Authenticate from the Authorization header; the tenant comes from the token only."""
    value = b""
    for name, raw in headers:
        if name == b"authorization":
            value = raw
            break
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing bearer token (Authorization: Bearer <jwt>)")
    actor = services.verifier.verify(token.strip())
    if services.limiter is not None:
        services.limiter.check(actor)
    return actor


def expected_version(request: Request, from_body: int | None) -> int | None:
    """The version the client expects: the body's `expected_version` or an If-Match header."""
    if from_body is not None:
        return from_body
    given = header(request.scope, b"if-match")
    if given is None:
        return None
    value = given.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 10:
        raise InvalidInput(
            'If-Match must be the version number you last read, e.g. "3"', field="If-Match"
        )
    return int(value)
