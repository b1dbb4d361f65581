"""/projects/{id}/work-items and /work-items/{id_or_key}"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api import pagination
from pm.api.context import context, expected_version
from pm.api.dtos.common import Limit, Timestamp
from pm.api.dtos.work_items import CreateWorkItem, UpdateWorkItem
from pm.api.errors import RESPONSES
from pm.api.pagination import Page
from pm.core.enums import WorkItemType
from pm.core.work_items import WorkItem, WorkItemDetail
from pm.db.repos.work_items import ItemFilter
from pm.service import work_items as svc

router = APIRouter(tags=["work items"], responses=RESPONSES)
Text = Annotated[str | None, Query(max_length=200)]
Ident = Annotated[str | None, Query(max_length=255)]


@router.get(
    "/projects/{project_id}/work-items",
    response_model=Page[WorkItem],
    summary="List a project's work items",
)
async def list_work_items(
    request: Request,
    project_id: str,
    item_type: WorkItemType | None = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    assignee_id: Ident = None,
    sprint_id: Ident = None,
    backlog: Annotated[bool, Query(description="Only items in no sprint")] = False,
    parent_id: Ident = None,
    q: Annotated[Text, Query(description="Text to find in title or description")] = None,
    updated_since: Timestamp | None = None,
    orphaned: Annotated[bool, Query(description="Only items without a parent")] = False,
    descendants_of: Annotated[
        Ident, Query(description="Only items below this one (its id or key, e.g. PONE-7)")
    ] = None,
    ancestors_of: Annotated[
        Ident, Query(description="Only items above this one (its id or key, e.g. PONE-7)")
    ] = None,
    include_done: Annotated[
        bool,
        Query(description="false leaves out items in a done lane (Done and the lanes after it)"),
    ] = True,
    cursor: str | None = None,
    limit: Limit = pagination.DEFAULT_LIMIT,
) -> Response:
    """Filtered, by item number, paginated with an opaque cursor."""
    flt = ItemFilter(
        item_type,
        status,
        assignee_id,
        sprint_id,
        backlog,
        parent_id,
        q,
        updated_since,
        orphaned,
        descendants_of,
        ancestors_of,
        include_done,
    )
    return await context(request).page(
        lambda r, after, n: svc.list_work_items(r, project_id, flt, after, n),
        cursor,
        limit,
        lambda item: item.item_number,
        0,
    )


@router.post(
    "/projects/{project_id}/work-items",
    status_code=201,
    response_model=WorkItem,
    summary="Create a work item",
)
async def create_work_item(request: Request, project_id: str, body: CreateWorkItem) -> Response:
    """Create an epic, story or task; its key is the project key plus the next number."""
    ctx = context(request)
    new = svc.NewWorkItem(**body.model_dump())
    return await ctx.write(lambda uow: svc.create_work_item(uow, project_id, new), 201)


@router.get(
    "/work-items/{id_or_key}", response_model=WorkItemDetail, summary="Get a work item by id or key"
)
async def get_work_item(request: Request, id_or_key: str) -> Response:
    """One work item (by id, or by key like PONE-42) with its ancestors and descendants."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.get_work_item(r, id_or_key))


@router.patch("/work-items/{id_or_key}", response_model=WorkItem, summary="Update a work item")
async def update_work_item(request: Request, id_or_key: str, body: UpdateWorkItem) -> Response:
    """Change fields, move it (parent_id) or plan it (sprint_id); absent fields stay."""
    return await context(request).update(
        body, lambda uow, patch, version: svc.update_work_item(uow, id_or_key, patch, version)
    )


router.put("/work-items/{id_or_key}", response_model=WorkItem, summary="Update a work item (PUT)")(
    update_work_item
)


@router.delete(
    "/work-items/{id_or_key}",
    status_code=204,
    response_class=Response,
    summary="Delete a work item",
)
async def delete_work_item(
    request: Request,
    id_or_key: str,
    expected: Annotated[int | None, Query(alias="expected_version", ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Soft-delete a work item and everything below it."""
    ctx = context(request)
    version = expected_version(ctx.request, expected)
    return await ctx.write(lambda uow: svc.delete_work_item(uow, id_or_key, version), 204)
