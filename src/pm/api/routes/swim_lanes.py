"""/projects/{id}/swim-lanes and /swim-lanes/{id}"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.dtos.swim_lanes import CreateSwimLane, ReorderSwimLanes, UpdateSwimLane
from pm.api.errors import RESPONSES
from pm.core.swim_lanes import SwimLane
from pm.service import swim_lanes as svc

router = APIRouter(tags=["swim lanes"], responses=RESPONSES)


@router.get(
    "/projects/{project_id}/swim-lanes",
    response_model=list[SwimLane],
    summary="List a project's swim lanes",
)
async def list_lanes(request: Request, project_id: str) -> Response:
    """Live lanes in board order (left to right)."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.list_lanes(r, project_id))


@router.post(
    "/projects/{project_id}/swim-lanes",
    status_code=201,
    response_model=SwimLane,
    summary="Add a swim lane",
)
async def create_lane(request: Request, project_id: str, body: CreateSwimLane) -> Response:
    """Add a custom lane; work items can then take its `status_value` as their status."""
    ctx = context(request)
    return await ctx.write(
        lambda uow: svc.create_lane(uow, project_id, body.status_value, body.name, body.position),
        201,
    )


@router.put(
    "/projects/{project_id}/swim-lanes/order",
    response_model=list[SwimLane],
    summary="Reorder a project's swim lanes",
)
async def reorder_lanes(request: Request, project_id: str, body: ReorderSwimLanes) -> Response:
    """Put the board's lanes in the given order; `lane_ids` must list each lane exactly once."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.reorder_lanes(uow, project_id, body.lane_ids))


@router.patch("/swim-lanes/{lane_id}", response_model=SwimLane, summary="Update a swim lane")
async def update_lane(request: Request, lane_id: str, body: UpdateSwimLane) -> Response:
    """Rename a lane or move it; absent fields stay as they are."""
    patch = body.patch()
    return await context(request).write(lambda uow: svc.update_lane(uow, lane_id, patch))


router.put("/swim-lanes/{lane_id}", response_model=SwimLane, summary="Update a swim lane (PUT)")(
    update_lane
)


@router.delete(
    "/swim-lanes/{lane_id}", status_code=204, response_class=Response, summary="Delete a swim lane"
)
async def delete_lane(request: Request, lane_id: str) -> Response:
    """Soft-delete a custom lane no work item uses; the four default lanes always stay."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.delete_lane(uow, lane_id), 204)
