"""A host platform that mounts pm under /pm, signs its users in with its own session cookie and
feeds pm's committed events to its own bus. (Shown verbatim in docs/deployment.md.)"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Scope

from pm.server.app import create_app
from pm.server.plugin import Principal, StoredEvent
from pm.server.settings import Settings

# The host's own accounts: user -> (password, organisation, roles).
ACCOUNTS = {
    "alice": ("wonderland", "acme", frozenset({"staff"})),
    "root": ("hunter2", "acme", frozenset({"tenant_admin"})),
}
COOKIE = "host_session"


class Host:
    """The host application, with pm mounted inside it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.sessions: dict[str, Principal] = {}  # session id -> who signed in
        self.bus: list[tuple[str, int, str]] = []  # the host's event bus: (tenant, seq, kind)
        # Without settings, pm reads its settings (DB_PATH, ...) from the environment.
        self.pm = create_app(settings, authenticate=self.authenticate, on_event=self.on_event)
        self.app = Starlette(
            routes=[
                Route("/login", self.login, methods=["POST"]),
                Mount("/pm", app=self.pm),  # REST, /ws, /health, /docs: all under /pm
            ],
            lifespan=self.lifespan,
        )

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """The host's start-up and shutdown enter and leave pm's."""
        async with self.pm.router.lifespan_context(self.pm):
            yield

    def authenticate(self, scope: Scope) -> Principal | None:
        """pm asks who a request (HTTP or WebSocket) comes from; None answers 401."""
        session = HTTPConnection(scope).cookies.get(COOKIE)
        return self.sessions.get(session) if session else None

    def on_event(self, tenant_id: str, events: Sequence[StoredEvent]) -> None:
        """Every committed pm event, in order, right after its commit: never block here."""
        self.bus.extend((tenant_id, event.seq, event.kind) for event in events)

    async def login(self, request: Request) -> Response:
        """The host's own sign-in: a session cookie."""
        form = await request.json()
        account = ACCOUNTS.get(form.get("user", ""))
        if account is None or not secrets.compare_digest(account[0], form.get("password", "")):
            return JSONResponse({"error": "wrong user or password"}, 401)
        session = secrets.token_urlsafe(24)
        self.sessions[session] = Principal(
            tenant_id=account[1], user_id=form["user"], roles=account[2]
        )
        response = JSONResponse({"signed_in": form["user"]})
        response.set_cookie(COOKIE, session, httponly=True, samesite="lax")
        return response
