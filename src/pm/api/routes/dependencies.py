"""/dependencies and /work-items/{id_or_key}/dependencies"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.dtos.dependencies import CreateDependency
from pm.api.errors import RESPONSES
from pm.core.dependencies import Dependency, ItemDependencies
from pm.service import dependencies as svc

router = APIRouter(tags=["dependencies"], responses=RESPONSES)


@router.post(
    "/dependencies", status_code=201, response_model=Dependency, summary="Link two work items"
)
async def create_dependency(request: Request, body: CreateDependency) -> Response:
    """`blocks` (never a cycle) or `relates_to` (symmetric); one link per pair of items."""
    ctx = context(request)
    return await ctx.write(
        lambda uow: svc.create_dependency(
            uow, body.blocking_item_id, body.blocked_item_id, body.dependency_type
        ),
        201,
    )


@router.delete(
    "/dependencies/{dependency_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a dependency",
)
async def delete_dependency(request: Request, dependency_id: str) -> Response:
    """Unlink the two work items."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.delete_dependency(uow, dependency_id), 204)


@router.get(
    "/work-items/{id_or_key}/dependencies",
    response_model=ItemDependencies,
    summary="List a work item's dependencies",
)
async def list_dependencies(request: Request, id_or_key: str) -> Response:
    """What blocks the item, what it blocks, and what relates to it."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.list_dependencies(r, id_or_key))
