"""/projects"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api import pagination
from pm.api.context import context, expected_version
from pm.api.dtos.common import Limit
from pm.api.dtos.projects import CreateProject, UpdateProject
from pm.api.errors import RESPONSES
from pm.api.pagination import Page
from pm.core.projects import Project
from pm.service import projects as svc

router = APIRouter(prefix="/projects", tags=["projects"], responses=RESPONSES)


@router.get("", response_model=Page[Project], summary="List projects")
async def list_projects(
    request: Request, cursor: str | None = None, limit: Limit = pagination.DEFAULT_LIMIT
) -> Response:
    """Live projects ordered by key."""
    return await context(request).page(svc.list_projects, cursor, limit, lambda p: p.key, "")


@router.post("", status_code=201, response_model=Project, summary="Create a project")
async def create_project(request: Request, body: CreateProject) -> Response:
    """Create a project and its four default swim lanes."""
    ctx = context(request)
    return await ctx.write(
        lambda uow: svc.create_project(uow, body.key, body.title, body.description), 201
    )


@router.get("/{project_id}", response_model=Project, summary="Get a project")
async def get_project(request: Request, project_id: str) -> Response:
    """One live project."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.get_project(r, project_id))


@router.patch("/{project_id}", response_model=Project, summary="Update a project")
async def update_project(request: Request, project_id: str, body: UpdateProject) -> Response:
    """Change title, description or status (absent fields stay as they are)."""
    return await context(request).update(
        body, lambda uow, patch, version: svc.update_project(uow, project_id, patch, version)
    )


router.put(
    "/{project_id}",
    response_model=Project,
    summary="Update a project (PUT)",
    include_in_schema=True,
)(update_project)


@router.delete(
    "/{project_id}", status_code=204, response_class=Response, summary="Delete a project"
)
async def delete_project(
    request: Request,
    project_id: str,
    expected: Annotated[int | None, Query(alias="expected_version", ge=1, le=2**31 - 1)] = None,
) -> Response:
    """Soft-delete a project with its work items and sprints."""
    ctx = context(request)
    version = expected_version(ctx.request, expected)
    return await ctx.write(lambda uow: svc.delete_project(uow, project_id, version), 204)
