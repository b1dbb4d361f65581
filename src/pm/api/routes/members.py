"""/projects/{id}/members"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.dtos.members import SetMember
from pm.api.errors import RESPONSES
from pm.core.limits import USER_ID_MAX
from pm.core.members import ProjectMember
from pm.service import members as svc

router = APIRouter(tags=["members"], responses=RESPONSES)
UserId = Annotated[str, Path(min_length=1, max_length=USER_ID_MAX)]


@router.get(
    "/projects/{project_id}/members",
    response_model=list[ProjectMember],
    summary="List a project's members",
)
async def list_members(request: Request, project_id: str) -> Response:
    """Every member and their role (viewer, editor or admin)."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.list_members(r, project_id))


@router.put(
    "/projects/{project_id}/members/{user_id}",
    response_model=ProjectMember,
    summary="Add a member or change a role",
)
async def set_member(
    request: Request, project_id: str, user_id: UserId, body: SetMember
) -> Response:
    """Give a user a role in the project (project admins only)."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.set_member(uow, project_id, user_id, body.role))


@router.delete(
    "/projects/{project_id}/members/{user_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a member",
)
async def remove_member(request: Request, project_id: str, user_id: UserId) -> Response:
    """Remove a user from the project (admins remove anyone; anyone may leave)."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.remove_member(uow, project_id, user_id), 204)
