"""/mcp on a running server: streamable HTTP, the bearer token, the tools acting as its user."""

from __future__ import annotations

import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import token
from tests.live import LiveServer


async def test_an_agent_works_over_http_as_its_token(server: LiveServer) -> None:
    auth = {"Authorization": f"Bearer {token('mcp-http', 'alice')}"}
    async with httpx.AsyncClient(base_url=server.url, headers=auth) as rest:
        created = await rest.post("/api/v1/projects", json={"key": "WEB", "title": "Web"})
        assert created.status_code == 201
    async with (
        httpx2.AsyncClient(headers=auth, timeout=30) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as client,
    ):
        names = {t.name for t in (await client.list_tools()).tools}
        assert "create_work_item" in names
        made = await client.call_tool(
            "create_work_item", {"project": "WEB", "item_type": "task", "title": "From MCP"}
        )
        assert not made.is_error, made.content
        assert made.structured_content is not None
        item = made.structured_content["work_item"]
        assert item["key"] == "WEB-1"
        assert item["created_by"] == "alice"
        refused = await client.call_tool("get_work_item", {"item": "WEB-99"})
        assert refused.is_error
    async with httpx.AsyncClient(base_url=server.url, headers=auth) as rest:
        listed = (await rest.get("/api/v1/projects/" + created.json()["id"] + "/work-items")).json()
    assert [i["title"] for i in listed["items"]] == ["From MCP"]


async def test_mcp_without_a_valid_token_is_401(server: LiveServer) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    async with httpx.AsyncClient(base_url=server.url) as http:
        missing = await http.post("/mcp", json=body)
        forged = await http.post(
            "/mcp", json=body, headers={"Authorization": "Bearer " + token()[:-2] + "zz"}
        )
    assert missing.status_code == 401
    assert forged.status_code == 401
    assert missing.json()["code"] == "AUTHENTICATION_FAILED"
