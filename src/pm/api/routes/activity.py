"""/activity, /work-items/{id_or_key}/activity and /projects/{id}/activity"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api import pagination
from pm.api.context import context
from pm.api.dtos.common import Limit
from pm.api.errors import RESPONSES
from pm.api.pagination import Page
from pm.core.activity import ActivityEntry
from pm.core.enums import EntityType
from pm.service import activity as svc
from pm.service.uow import Reader

router = APIRouter(tags=["activity"], responses=RESPONSES)


Fetch = Callable[[Reader, str, int], Awaitable[list[ActivityEntry]]]


def _entry_id(entry: ActivityEntry) -> str:
    return entry.id


def _page(request: Request, fetch: Fetch, cursor: str | None, limit: int) -> Awaitable[Response]:
    """One newest-first page; the cursor wraps the last (time-ordered) id."""
    return context(request).page(fetch, cursor, limit, _entry_id, svc.FIRST_PAGE)


@router.get("/activity", response_model=Page[ActivityEntry], summary="Read the activity log")
async def list_activity(
    request: Request,
    entity_type: EntityType | None = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: str | None = None,
    limit: Limit = pagination.DEFAULT_LIMIT,
) -> Response:
    """An entity's history (entity_type + entity_id), or with neither the tenant's; newest first."""
    return await _page(
        request,
        lambda r, before, n: svc.list_activity(r, entity_type, entity_id, before, n),
        cursor,
        limit,
    )


@router.get(
    "/work-items/{id_or_key}/activity",
    response_model=Page[ActivityEntry],
    summary="A work item's history",
)
async def work_item_activity(
    request: Request,
    id_or_key: str,
    cursor: str | None = None,
    limit: Limit = pagination.DEFAULT_LIMIT,
) -> Response:
    """Every recorded change of a work item (by id or key), newest first."""
    return await _page(
        request, lambda r, before, n: svc.work_item_activity(r, id_or_key, before, n), cursor, limit
    )


@router.get(
    "/projects/{project_id}/activity",
    response_model=Page[ActivityEntry],
    summary="A project's activity feed",
)
async def project_activity(
    request: Request,
    project_id: str,
    cursor: str | None = None,
    limit: Limit = pagination.DEFAULT_LIMIT,
) -> Response:
    """Changes to the project and everything in it (items, sprints, lanes...), newest first."""
    return await _page(
        request, lambda r, before, n: svc.project_activity(r, project_id, before, n), cursor, limit
    )
