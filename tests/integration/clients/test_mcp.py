"""The MCP tools through the SDK's own client, in memory, against the app over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer

from pm.client.api import ApiClient
from pm.client.config import Connection
from pm.mcp.tools import build
from tests.conftest import token

READING = {
    "list_projects",
    "get_project_snapshot",
    "search_work_items",
    "get_work_item",
    "list_ready_work",
    "get_llm_context",
}
WRITING = {
    "create_work_item",
    "update_work_item",
    "move_work_item",
    "add_comment",
    "add_dependency",
    "start_timer",
    "stop_timer",
    "bulk_apply",
}
ClientFor = Callable[[Context], AbstractAsyncContextManager[ApiClient]]


def _client_for(app: FastAPI, user: str = "alice", tenant: str = "mcp") -> ClientFor:
    transport = httpx.ASGITransport(app=app)

    @asynccontextmanager
    async def client_for(_: Context) -> AsyncIterator[ApiClient]:
        conn = Connection("http://test", token(tenant, user), "test")
        async with ApiClient(conn, transport=transport) as api:
            yield api

    return client_for


async def _call(server: MCPServer, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """(is_error, structured result or error text) of one tool call."""
    async with Client(server) as client:
        result = await client.call_tool(tool, arguments)
    if result.is_error:
        return True, " ".join(getattr(c, "text", "") for c in result.content)
    return False, result.structured_content


@pytest.fixture
async def tools(app: FastAPI, client: httpx.AsyncClient) -> MCPServer:
    """The tools acting as alice, with a project PONE she administers."""
    headers = {"Authorization": f"Bearer {token('mcp', 'alice')}"}
    created = await client.post(
        "/api/v1/projects", json={"key": "PONE", "title": "One"}, headers=headers
    )
    assert created.status_code == 201
    return build(_client_for(app))


async def test_the_tools_and_their_read_only_subset(app: FastAPI) -> None:
    async with Client(build(_client_for(app))) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
    assert listed == READING | WRITING
    async with Client(build(_client_for(app), read_only=True)) as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == READING
    assert all(t.input_schema.get("type") == "object" for t in tools)


async def test_work_on_items_from_create_to_timer(tools: MCPServer) -> None:
    failed, projects = await _call(tools, "list_projects")
    assert not failed
    assert [p["key"] for p in projects["projects"]] == ["PONE"]
    failed, epic = await _call(
        tools, "create_work_item", project="pone", item_type="epic", title="E"
    )
    assert not failed, epic
    failed, story = await _call(
        tools, "create_work_item", project="PONE", item_type="story", title="S", parent="PONE-1",
        priority="high", story_points=3,
    )  # fmt: skip
    assert not failed, story
    assert story["work_item"]["parent_id"] == epic["work_item"]["id"]
    failed, found = await _call(
        tools, "search_work_items", project="PONE", q="S", item_type="story"
    )
    assert [i["key"] for i in found["work_items"]] == ["PONE-2"]
    failed, updated = await _call(
        tools, "update_work_item", item="PONE-2", title="Story", expected_version=1
    )
    assert not failed, updated
    assert updated["work_item"]["version"] == 2
    failed, moved = await _call(tools, "move_work_item", item="PONE-2", status="in_progress")
    assert moved["work_item"]["status"] == "in_progress"
    failed, comment = await _call(tools, "add_comment", item="PONE-2", content="on it")
    assert not failed, comment
    failed, link = await _call(tools, "add_dependency", blocking="PONE-1", blocked="PONE-2")
    assert not failed, link
    assert link["dependency"]["dependency_type"] == "blocks"
    failed, detail = await _call(tools, "get_work_item", item="PONE-2")
    assert [c["content"] for c in detail["comments"]] == ["on it"]
    assert [d["id"] for d in detail["dependencies"]["blocking"]] == [link["dependency"]["id"]]
    failed, started = await _call(tools, "start_timer", item="PONE-2", note="coding")
    assert not failed, started
    failed, stopped = await _call(tools, "stop_timer")
    assert not failed, stopped
    assert stopped["time_entry"]["ended_at"] is not None
    failed, context = await _call(tools, "get_llm_context", min_priority=1)
    assert not failed
    assert context["entries"]


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("get_work_item", {"item": "PONE-404"}, "NOT_FOUND"),
        ("search_work_items", {"project": "NOPE"}, "NOT_FOUND"),
        ("get_project_snapshot", {"project": "NOPE"}, "NOT_FOUND"),
        ("list_ready_work", {"project": "NOPE"}, "NOT_FOUND"),
        ("create_work_item", {"project": "PONE", "item_type": "task", "title": "  "}, "title"),
        ("update_work_item", {"item": "PONE-1", "title": "x", "expected_version": 9}, "CONFLICT"),
        ("update_work_item", {"item": "PONE-1"}, "at least one field"),
        ("move_work_item", {"item": "PONE-1", "status": "nowhere"}, "status"),
        ("add_comment", {"item": "PONE-404", "content": "hi"}, "NOT_FOUND"),
        ("add_dependency", {"blocking": "PONE-1", "blocked": "PONE-1"}, "VALIDATION_ERROR"),
        ("start_timer", {"item": "PONE-404"}, "NOT_FOUND"),
        ("stop_timer", {}, "no timer"),
        ("get_llm_context", {"min_priority": "high"}, "min_priority"),
    ],
)
async def test_each_refusal_is_a_tool_error_not_a_crash(
    tools: MCPServer, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    failed, _ = await _call(tools, "create_work_item", project="PONE", item_type="task", title="T")
    assert not failed
    failed, message = await _call(tools, tool, **arguments)
    assert failed
    assert expected in message


async def test_a_bad_token_is_a_tool_error(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)

    @asynccontextmanager
    async def forged(_: Context) -> AsyncIterator[ApiClient]:
        conn = Connection("http://test", token("mcp", "alice")[:-3] + "xyz", "test")
        async with ApiClient(conn, transport=transport) as api:
            yield api

    failed, message = await _call(build(forged), "list_projects")
    assert failed
    assert "AUTHENTICATION_FAILED" in message


async def test_another_tenants_user_sees_nothing(app: FastAPI, tools: MCPServer) -> None:
    outsider = build(_client_for(app, user="mallory", tenant="other"))
    failed, projects = await _call(outsider, "list_projects")
    assert not failed
    assert projects["projects"] == []
    failed, message = await _call(outsider, "search_work_items", project="PONE")
    assert failed
    assert "NOT_FOUND" in message


async def test_bulk_apply_is_a_dry_run_unless_asked(tools: MCPServer, app: FastAPI) -> None:
    failed, projects = await _call(tools, "list_projects")
    project_id = projects["projects"][0]["id"]
    operations = [
        {"op": "create", "entity": "work_item", "ref": "e", "project_id": project_id,
         "item_type": "epic", "title": "Epic"},
        {"op": "create", "entity": "work_item", "project_id": project_id, "item_type": "story",
         "title": "Story", "parent_id": "$e"},
    ]  # fmt: skip
    failed, dry = await _call(tools, "bulk_apply", operations=operations)
    assert not failed, dry
    assert dry["dry_run"] is True
    assert len(dry["results"]) == 2
    failed, found = await _call(tools, "search_work_items", project="PONE")
    assert found["work_items"] == []
    failed, done = await _call(tools, "bulk_apply", operations=operations, dry_run=False)
    assert not failed, done
    failed, found = await _call(tools, "search_work_items", project="PONE")
    assert [i["title"] for i in found["work_items"]] == ["Epic", "Story"]
    bad = [{**operations[1], "parent_id": "$nowhere"}]
    failed, message = await _call(tools, "bulk_apply", operations=bad, dry_run=False)
    assert failed
    assert "operations.0.parent_id" in message


async def test_ready_work_and_the_snapshot(tools: MCPServer) -> None:
    for title in ("first", "second"):
        failed, _ = await _call(
            tools, "create_work_item", project="PONE", item_type="task", title=title
        )
        assert not failed
    failed, _ = await _call(tools, "add_dependency", blocking="PONE-1", blocked="PONE-2")
    assert not failed
    failed, ready = await _call(tools, "list_ready_work", project="PONE")
    assert not failed, ready
    assert [i["key"] for i in ready["items"]] == ["PONE-1"]
    failed, snap = await _call(tools, "get_project_snapshot", project="pone", max_tokens=800)
    assert not failed, snap
    assert "PONE-2" in snap["snapshot"]
    assert len(snap["snapshot"]) <= 800 * 4
