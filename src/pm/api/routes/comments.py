"""/work-items/{id_or_key}/comments and /comments/{comment_id}"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from pm.api import pagination
from pm.api.context import context
from pm.api.dtos.comments import CreateComment, UpdateComment
from pm.api.dtos.common import Limit
from pm.api.errors import RESPONSES
from pm.api.pagination import Page
from pm.core.comments import Comment
from pm.service import comments as svc

router = APIRouter(tags=["comments"], responses=RESPONSES)


@router.get(
    "/work-items/{id_or_key}/comments",
    response_model=Page[Comment],
    summary="List a work item's comments",
)
async def list_comments(
    request: Request,
    id_or_key: str,
    cursor: str | None = None,
    limit: Limit = pagination.DEFAULT_LIMIT,
) -> Response:
    """Oldest first, paginated with an opaque cursor."""
    return await context(request).page(
        lambda r, after, n: svc.list_comments(r, id_or_key, after, n),
        cursor,
        limit,
        lambda comment: comment.id,
        "",
    )


@router.post(
    "/work-items/{id_or_key}/comments",
    status_code=201,
    response_model=Comment,
    summary="Comment on a work item",
)
async def create_comment(request: Request, id_or_key: str, body: CreateComment) -> Response:
    """Add a markdown comment as the calling user."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.create_comment(uow, id_or_key, body.content), 201)


@router.patch("/comments/{comment_id}", response_model=Comment, summary="Edit a comment")
async def update_comment(request: Request, comment_id: str, body: UpdateComment) -> Response:
    """Replace the content of your own comment."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.update_comment(uow, comment_id, body.content))


router.put("/comments/{comment_id}", response_model=Comment, summary="Edit a comment (PUT)")(
    update_comment
)


@router.delete(
    "/comments/{comment_id}", status_code=204, response_class=Response, summary="Delete a comment"
)
async def delete_comment(request: Request, comment_id: str) -> Response:
    """Soft-delete your own comment."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.delete_comment(uow, comment_id), 204)
