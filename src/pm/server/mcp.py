"""/mcp: the MCP tools over streamable HTTP (stateless), as the caller of the bearer token.

The tools speak the public REST API, in process (httpx over ASGI, no socket), with the
request's own token (or, in plugin mode, its own credentials for the host platform's
authentication): roles, tenancy, rate limits and idempotency apply exactly as to any
REST client. A request without valid credentials is answered 401 before MCP sees it. The MCP
SDK is imported and started on the first request (importing it costs about a second of
CPU, which every server start and every test server would otherwise pay).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from pm.api.context import Services, actor_of
from pm.api.errors import domain_error_response
from pm.auth.host import HostAuthenticator
from pm.client.api import ApiClient
from pm.client.config import Connection
from pm.core.errors import DomainError

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context, MCPServer

INTERNAL = "http://pm.internal"


# Under a host platform's authentication (plugin mode) the tools' REST calls carry the MCP
# request's own credentials, whatever the host reads them from.
FORWARDED = ("authorization", "cookie")


def mcp_server(app: ASGIApp, *, read_only: bool, version: str, hosted: bool = False) -> MCPServer:
    """The tools, each calling `app`'s REST API as the caller of the MCP request: with its
    bearer token, or (`hosted`: a host platform authenticates) with its credentials."""
    from mcp.server.mcpserver.exceptions import ToolError

    from pm.mcp.tools import build

    transport = httpx.ASGITransport(app=app)

    @asynccontextmanager
    async def client_for(ctx: Context) -> AsyncIterator[ApiClient]:
        headers = {k.lower(): v for k, v in (ctx.headers or {}).items()}
        token, forwarded = "", None
        if hosted:
            forwarded = {k: headers[k] for k in FORWARDED if k in headers}
        else:
            scheme, _, token = (headers.get("authorization") or "").partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise ToolError("AUTHENTICATION_FAILED: the MCP request carries no bearer token")
        connection = Connection(INTERNAL, token.strip(), "mcp")
        async with ApiClient(connection, transport=transport, headers=forwarded) as api:
            yield api

    server = build(client_for, read_only=read_only, version=version)
    # Builds the session manager (stateless: every POST stands alone, any instance serves it).
    server.streamable_http_app(stateless_http=True, json_response=True, host="0.0.0.0")  # noqa: S104
    return server


class McpEndpoint:
    """The ASGI endpoint at /mcp: the caller checked (our bearer token, or the host
    platform's authentication in plugin mode), then the SDK's streamable HTTP handler."""

    def __init__(
        self,
        app: ASGIApp,
        services: Services,
        *,
        read_only: bool,
        version: str,
        host: HostAuthenticator | None = None,
    ) -> None:
        self.app = app
        self.services = services
        self.host = host
        self.read_only = read_only
        self.version = version
        self._server: MCPServer | None = None
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            if self.host is None:
                actor_of(scope["headers"], self.services)
            else:
                await self.host.check(scope)
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return
        server = self._server or await self._start()
        await server.session_manager.handle_request(scope, receive, send)

    async def _start(self) -> MCPServer:
        """Build the tools and run the SDK's session manager until the app stops."""
        async with self._lock:
            if self._server is not None:
                return self._server
            server = mcp_server(
                self.app,
                read_only=self.read_only,
                version=self.version,
                hosted=self.host is not None,
            )
            started = asyncio.Event()

            async def run() -> None:
                async with server.session_manager.run():
                    started.set()
                    await self._stop.wait()

            self._task = asyncio.get_running_loop().create_task(run())
            await started.wait()
            self._server = server
            return server

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan: stops the session manager (if it was started) on exit."""
        try:
            yield
        finally:
            self._stop.set()
            if self._task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
