"""/projects/{id}/ready and /projects/{id}/critical-path: what to work on next."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import Field
from starlette.responses import Response

from pm.api import pagination
from pm.api.context import context
from pm.api.errors import RESPONSES
from pm.core.planning import CriticalPath, ReadyWork
from pm.db.repos.planning import ReadyFilter
from pm.service import planning as svc

router = APIRouter(tags=["planning"], responses=RESPONSES)
Ident = Annotated[str | None, Query(max_length=255)]
ReadyLimit = Annotated[int, Field(ge=1, le=500)]


@router.get(
    "/projects/{project_id}/ready",
    response_model=ReadyWork,
    summary="List the work that can start now",
)
async def ready_work(
    request: Request,
    project_id: str,
    assignee_id: Ident = None,
    sprint_id: Ident = None,
    limit: ReadyLimit = pagination.DEFAULT_LIMIT,
) -> Response:
    """Open stories and tasks none of whose `blocks` predecessors is still open, by priority
    (critical first), then the active sprint's before the rest, then position. Each tells how
    many open items it unblocks (those whose last open blocker it is); `total` counts every
    ready item, `items` holds the first `limit`."""
    ctx = context(request)
    flt = ReadyFilter(assignee_id, sprint_id)
    return await ctx.respond(lambda r: svc.ready_work(r, project_id, flt, limit))


@router.get(
    "/projects/{project_id}/critical-path",
    response_model=CriticalPath,
    summary="The longest chain of open work",
)
async def critical_path(request: Request, project_id: str) -> Response:
    """The chain of open items linked by `blocks` with the most story points (an item without
    points counts 1), first to do first, and its total. Without links: the biggest item."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.critical_path(r, project_id))
