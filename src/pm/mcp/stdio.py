"""`pm mcp`: the tools over stdio for a local agent, acting with the CLI's profile."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.mcpserver import Context

from pm.client.api import ApiClient
from pm.client.config import Connection
from pm.mcp.tools import build


def serve_stdio(connection: Connection) -> None:
    """Serve until stdin closes."""

    @asynccontextmanager
    async def client_for(_: Context) -> AsyncIterator[ApiClient]:
        async with ApiClient(connection) as api:
            yield api

    read_only = os.environ.get("MCP_READ_ONLY", "").lower() in ("1", "true", "yes")
    build(client_for, read_only=read_only).run("stdio")
