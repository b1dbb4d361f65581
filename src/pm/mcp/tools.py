"""The tools an agent gets: few, well described, each a thin call of the public REST API.

Every tool acts as the caller (the bearer token of the HTTP request, or the CLI profile
for stdio), so roles and tenancy are enforced by the server exactly as for REST. A refused
request comes back as a tool error carrying the server's code, message and field.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from pm.client.api import ApiClient, ApiError

T = TypeVar("T")
Result = dict[str, Any]
# Gives the API client acting for the caller of one tool call.
ClientFor = Callable[[Context], AbstractAsyncContextManager[ApiClient]]

INSTRUCTIONS = (
    "Tools of a pm project-management server (projects, epics, stories, tasks, sprints). "
    "Start with list_projects, then get_project_snapshot for the picture and list_ready_work "
    "for what to do next. Work items are named by key (PONE-42) or id; projects by key or id. "
    "Updates take expected_version to refuse stale writes. bulk_apply runs as a dry run unless "
    "dry_run is false: check its answer first."
)
READ = ToolAnnotations(readOnlyHint=True, openWorldHint=False)
WRITE = ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False)

ProjectRef = Annotated[str, Field(description="Project key (e.g. PONE) or id")]
ItemRef = Annotated[str, Field(description="Work item key (e.g. PONE-42) or id")]
Priority = Literal["critical", "high", "medium", "low"]
Version = Annotated[
    int | None, Field(description="The version you last read; a newer one refuses the change")
]


def _tool_error(error: ApiError) -> ToolError:
    where = f" (field: {error.field})" if error.field else ""
    return ToolError(f"{error.code}: {error.message}{where}")


async def _call(
    ctx: Context, client_for: ClientFor, work: Callable[[ApiClient], Awaitable[T]]
) -> T:
    try:
        async with client_for(ctx) as api:
            return await work(api)
    except ApiError as exc:
        raise _tool_error(exc) from None


def build(client_for: ClientFor, *, read_only: bool = False, version: str = "") -> MCPServer:
    """The MCP server with every tool (only the reading ones when `read_only`)."""
    server = MCPServer(name="pm", instructions=INSTRUCTIONS, version=version)
    _reading_tools(server, client_for)
    if not read_only:
        _writing_tools(server, client_for)
    return server


def _reading_tools(server: MCPServer, client_for: ClientFor) -> None:
    @server.tool(annotations=READ)
    async def list_projects(ctx: Context) -> Result:
        """The projects you can see: key, title, status and id of each."""
        rows = await _call(ctx, client_for, lambda api: api.list_projects())
        return {"projects": [{k: p.get(k) for k in ("id", "key", "title", "status")} for p in rows]}

    @server.tool(annotations=READ)
    async def get_project_snapshot(
        ctx: Context,
        project: ProjectRef,
        max_tokens: Annotated[int, Field(ge=100, le=100_000, description="Budget")] = 4000,
    ) -> Result:
        """A project's state in markdown, trimmed to max_tokens: the epic → story → task tree
        with statuses and assignees, the active sprint's progress, what is blocked and by
        what, the ready work and recent activity."""
        text = await _call(
            ctx, client_for, lambda api: api.snapshot(project, "markdown", max_tokens)
        )
        return {"snapshot": text}

    @server.tool(annotations=READ)
    async def search_work_items(
        ctx: Context,
        project: ProjectRef,
        q: Annotated[str | None, Field(description="Text to find in title or description")] = None,
        status: Annotated[str | None, Field(description="A status (lane) value")] = None,
        item_type: Literal["epic", "story", "task"] | None = None,
        assignee_id: str | None = None,
        sprint_id: str | None = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> Result:
        """Find a project's work items by text, status, type, assignee or sprint."""
        filters = {
            "q": q,
            "status": status,
            "item_type": item_type,
            "assignee_id": assignee_id,
            "sprint_id": sprint_id,
        }
        rows = await _call(ctx, client_for, lambda api: api.list_items(project, filters, limit))
        return {"work_items": rows}

    @server.tool(annotations=READ)
    async def get_work_item(ctx: Context, item: ItemRef) -> Result:
        """One work item with its comments, dependencies and ancestors/descendants."""

        async def run(api: ApiClient) -> Result:
            detail = await api.get_item(item)
            return {
                "work_item": detail,
                "comments": await api.list_comments(detail["id"]),
                "dependencies": await api.list_dependencies(detail["id"]),
            }

        return await _call(ctx, client_for, run)

    @server.tool(annotations=READ)
    async def list_ready_work(
        ctx: Context,
        project: ProjectRef,
        assignee_id: str | None = None,
        sprint_id: str | None = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 20,
    ) -> Result:
        """Open items nothing blocks, most important first (priority, active sprint,
        position), each with how many items finishing it would unblock."""
        filters = {"assignee_id": assignee_id, "sprint_id": sprint_id, "limit": limit}
        data = await _call(ctx, client_for, lambda api: api.ready(project, filters))
        return data if isinstance(data, dict) else {"items": data}

    @server.tool(annotations=READ)
    async def get_llm_context(
        ctx: Context,
        category: str | None = None,
        context_type: str | None = None,
        min_priority: int | None = None,
    ) -> Result:
        """How this server's data is shaped: schema notes, query patterns, business rules."""
        filters = {"category": category, "context_type": context_type, "min_priority": min_priority}
        rows = await _call(ctx, client_for, lambda api: api.llm_context(filters))
        return {"entries": rows}


def _writing_tools(server: MCPServer, client_for: ClientFor) -> None:
    @server.tool(annotations=WRITE)
    async def create_work_item(
        ctx: Context,
        project: ProjectRef,
        item_type: Literal["epic", "story", "task"],
        title: Annotated[str, Field(min_length=1, max_length=500)],
        parent: Annotated[str | None, Field(description="Parent key or id")] = None,
        description: str | None = None,
        priority: Priority | None = None,
        story_points: Annotated[int | None, Field(ge=0)] = None,
        assignee_id: str | None = None,
        sprint_id: str | None = None,
    ) -> Result:
        """Create an epic, story (under an epic or top level) or task (under a story or epic)."""

        async def run(api: ApiClient) -> Result:
            fields = {
                "item_type": item_type,
                "title": title,
                "description": description,
                "priority": priority,
                "story_points": story_points,
                "assignee_id": assignee_id,
                "sprint_id": sprint_id,
                "parent_id": await api.item_id(parent) if parent else None,
            }
            return {"work_item": await api.create_item(project, fields)}

        return await _call(ctx, client_for, run)

    @server.tool(annotations=WRITE)
    async def update_work_item(
        ctx: Context,
        item: ItemRef,
        title: str | None = None,
        description: str | None = None,
        priority: Priority | None = None,
        story_points: Annotated[int | None, Field(ge=0)] = None,
        assignee_id: Annotated[str | None, Field(description="User id; '' unassigns")] = None,
        sprint_id: Annotated[
            str | None, Field(description="Sprint id; '' moves to backlog")
        ] = None,
        expected_version: Version = None,
    ) -> Result:
        """Change a work item's fields (only those given)."""
        given = {
            "title": title,
            "description": description,
            "priority": priority,
            "story_points": story_points,
            "assignee_id": assignee_id,
            "sprint_id": sprint_id,
        }
        fields = {
            k: (v or None) if k in ("assignee_id", "sprint_id") else v
            for k, v in given.items()
            if v is not None
        }
        if not fields:
            raise ToolError("VALIDATION_ERROR: give at least one field to change")
        data = await _call(
            ctx, client_for, lambda api: api.update_item(item, fields, expected_version)
        )
        return {"work_item": data}

    @server.tool(annotations=WRITE)
    async def move_work_item(
        ctx: Context,
        item: ItemRef,
        status: Annotated[
            str, Field(description="The target lane's status value, e.g. in_progress")
        ],
        expected_version: Version = None,
    ) -> Result:
        """Move a work item to another column (status)."""
        data = await _call(
            ctx, client_for, lambda api: api.update_item(item, {"status": status}, expected_version)
        )
        return {"work_item": data}

    @server.tool(annotations=WRITE)
    async def add_comment(
        ctx: Context, item: ItemRef, content: Annotated[str, Field(min_length=1)]
    ) -> Result:
        """Comment on a work item (markdown)."""
        return {"comment": await _call(ctx, client_for, lambda api: api.add_comment(item, content))}

    @server.tool(annotations=WRITE)
    async def add_dependency(
        ctx: Context,
        blocking: ItemRef,
        blocked: ItemRef,
        dependency_type: Literal["blocks", "relates_to"] = "blocks",
    ) -> Result:
        """Record that `blocking` blocks `blocked` (or that they relate). Cycles are refused."""
        data = await _call(
            ctx, client_for, lambda api: api.add_dependency(blocking, dependency_type, blocked)
        )
        return {"dependency": data}

    @server.tool(annotations=WRITE)
    async def start_timer(ctx: Context, item: ItemRef, note: str | None = None) -> Result:
        """Start your timer on a work item (your running timer, if any, stops)."""
        return await _call(ctx, client_for, lambda api: api.start_timer(item, note))

    @server.tool(annotations=WRITE)
    async def stop_timer(ctx: Context) -> Result:
        """Stop your running timer; returns the finished time entry."""

        async def run(api: ApiClient) -> Result:
            running = (await api.running_timer())["time_entry"]
            if running is None:
                raise ApiError(404, "NOT_FOUND", "no timer of yours is running")
            return {"time_entry": await api.stop_timer(running["id"])}

        return await _call(ctx, client_for, run)

    @server.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True))
    async def bulk_apply(
        ctx: Context,
        operations: Annotated[
            list[dict[str, Any]],
            Field(
                min_length=1,
                max_length=1000,
                description='Each {"op": "create"|"update"|"delete", "entity": "work_item"|'
                '"comment"|"dependency"|"sprint", ...fields}; "ref": "a" names a created '
                'entity, "$a" refers to it later in the same request',
            ),
        ],
        dry_run: Annotated[bool, Field(description="Check only (default); false applies")] = True,
    ) -> Result:
        """Apply many changes atomically (all or nothing). Runs as a dry run by default:
        read the answer, then call again with dry_run false."""
        return await _call(ctx, client_for, lambda api: api.bulk(operations, dry_run))
