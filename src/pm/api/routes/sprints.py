"""/projects/{id}/sprints and /sprints/{id}"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api.context import context, expected_version
from pm.api.dtos.sprints import CreateSprint, UpdateSprint
from pm.api.errors import RESPONSES
from pm.core.enums import SprintStatus
from pm.core.sprints import Sprint
from pm.service import sprints as svc

router = APIRouter(tags=["sprints"], responses=RESPONSES)


@router.get(
    "/projects/{project_id}/sprints",
    response_model=list[Sprint],
    summary="List a project's sprints",
)
async def list_sprints(
    request: Request, project_id: str, status: SprintStatus | None = None
) -> Response:
    """Live sprints by start date; `status=active` finds the running one."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.list_sprints(r, project_id, status))


@router.post(
    "/projects/{project_id}/sprints",
    status_code=201,
    response_model=Sprint,
    summary="Plan a sprint",
)
async def create_sprint(request: Request, project_id: str, body: CreateSprint) -> Response:
    """Create a planned sprint; dates are Unix seconds and it cannot end before it starts."""
    ctx = context(request)
    new = svc.NewSprint(**body.model_dump())
    return await ctx.write(lambda uow: svc.create_sprint(uow, project_id, new), 201)


@router.get("/sprints/{sprint_id}", response_model=Sprint, summary="Get a sprint")
async def get_sprint(request: Request, sprint_id: str) -> Response:
    """One live sprint."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.get_sprint(r, sprint_id))


@router.patch("/sprints/{sprint_id}", response_model=Sprint, summary="Update a sprint")
async def update_sprint(request: Request, sprint_id: str, body: UpdateSprint) -> Response:
    """Change fields or status (planned → active → completed, or cancelled); absent fields stay."""
    return await context(request).update(
        body, lambda uow, patch, version: svc.update_sprint(uow, sprint_id, patch, version)
    )


router.put("/sprints/{sprint_id}", response_model=Sprint, summary="Update a sprint (PUT)")(
    update_sprint
)


@router.delete(
    "/sprints/{sprint_id}", status_code=204, response_class=Response, summary="Delete a sprint"
)
async def delete_sprint(
    request: Request,
    sprint_id: str,
    expected: Annotated[int | None, Query(alias="expected_version", ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Soft-delete a sprint; its items go back to the backlog."""
    ctx = context(request)
    version = expected_version(ctx.request, expected)
    return await ctx.write(lambda uow: svc.delete_sprint(uow, sprint_id, version), 204)
