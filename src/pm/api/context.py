"""The request context every route receives: the authenticated actor and the service entry."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol, TypeVar

import orjson
from fastapi import Request
from starlette.responses import Response

from pm.api import pagination
from pm.api.headers import header
from pm.api.ratelimit import RateLimiter
from pm.auth.jwt import TokenVerifier
from pm.core.actor import Actor
from pm.core.errors import InvalidInput, Unauthenticated
from pm.core.records import record
from pm.service import idempotency
from pm.service.uow import Reader, Tenancy, UnitOfWork

T = TypeVar("T")
C = TypeVar("C", str, int)  # a keyset position
P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)
JSON = "application/json"
ACTOR = "pm.actor"  # where AuthMiddleware leaves the actor in the ASGI scope's state
SERVICES = "pm.services"  # ... and the services
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@record
class Services:
    """What the API needs from the rest of the server (built by the app factory)."""

    tenancy: Tenancy
    verifier: TokenVerifier | None  # None in plugin mode, where the host authenticates
    limiter: RateLimiter | None = None
    import_max_bytes: int = 256 * 1_048_576
    # Webhooks: tell the dispatcher a tenant's subscriptions changed; check a target URL.
    webhooks_changed: Callable[[str], None] | None = None
    webhook_target: Callable[[str], Awaitable[object]] | None = None


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

    async def respond(self, run: Callable[[Reader], Awaitable[object]]) -> Response:
        """Run a read-only use case and answer 200 with its JSON."""
        return Response(render(await self.read(run)), media_type=JSON)

    async def page(
        self,
        fetch: Callable[[Reader, C, int], Awaitable[list[T]]],
        cursor: str | None,
        limit: int,
        key: Callable[[T], C],
        start: C,
    ) -> Response:
        """Answer one keyset page: `fetch(reader, after, limit + 1)` from the cursor's position
        (`start` without one), cut to `limit`; the next cursor wraps the last row's `key`."""
        after = pagination.decode(cursor, start)

        async def run(reader: Reader) -> pagination.PageOut[T]:
            return pagination.page(await fetch(reader, after, limit + 1), limit, key)

        return await self.respond(run)

    async def update(
        self,
        body: Update[P],
        change: Callable[[UnitOfWork, P, int | None], Awaitable[object]],
    ) -> Response:
        """Apply an update body: its patch, at the version it (or If-Match) expects."""
        version = expected_version(self.request, body.expected_version)
        patch = body.patch()
        return await self.write(lambda uow: change(uow, patch, version))

    async def write(
        self, run: Callable[[UnitOfWork], Awaitable[object]], status: int = 200
    ) -> Response:
        """Run a use case in one transaction and answer with its JSON (204: no body).

        With an Idempotency-Key header the answer is stored in the same transaction, and a
        retry gets the stored answer without writing anything again.
        """
        given = header(self.request.scope, b"idempotency-key")
        key = None if given is None else await self._key(given)

        def answer(result: object) -> tuple[int, bytes]:
            return status, b"" if status == 204 else render(result)

        code, body, replayed = await idempotency.write(
            self.services.tenancy, self.actor, run, answer, key
        )
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        if code == 204:
            return Response(status_code=204, headers=headers)
        return Response(body, code, headers=headers, media_type=JSON)

    async def _key(self, given: str) -> idempotency.Key:
        """The request's Idempotency-Key with the fingerprint of what it asks."""
        if not _KEY.match(given):
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
        return idempotency.Key(given, digest, "Idempotency-Key")


class Update(Protocol[P_co]):
    """An update body: a typed patch for its service, and the version it expects."""

    @property
    def expected_version(self) -> int | None: ...

    def patch(self) -> P_co: ...


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
    if scheme.lower() != "bearer" or not token.strip() or services.verifier is None:
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
