"""/projects/{id}/snapshot: a project's state for an LLM, within a token budget."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.errors import RESPONSES
from pm.core.snapshots import DEFAULT_MAX_TOKENS
from pm.core.trimming import Format
from pm.service import snapshots as svc

router = APIRouter(tags=["planning"], responses=RESPONSES)
MEDIA = {Format.MARKDOWN: "text/markdown; charset=utf-8", Format.JSON: "application/json"}
_EXAMPLE = "# PONE · Project one\nactive project · 12 open of 30 items · as of ...\n"


@router.get(
    "/projects/{project_id}/snapshot",
    response_class=Response,
    summary="The project's state for an LLM, within a token budget",
    responses={
        200: {
            "description": "Markdown (`format=markdown`, the default) or one JSON document",
            "content": {
                "text/markdown": {"schema": {"type": "string"}, "example": _EXAMPLE},
                "application/json": {"schema": {"type": "object"}},
            },
        }
    },
)
async def project_snapshot(
    request: Request,
    project_id: str,
    format: Format = Format.MARKDOWN,
    max_tokens: Annotated[
        int, Query(ge=100, le=100_000, description="Budget, at 4 characters a token")
    ] = DEFAULT_MAX_TOKENS,
) -> Response:
    """The hierarchy (epics > stories > tasks with keys, statuses, assignees), the active
    sprint's progress (points and items done of the total, days left), what is blocked and
    by what, the ready work and the recent activity. When that is over `max_tokens`, whole
    entries are left out, least important first: old activity, done items, the newest
    activity, open tasks, the tail of the ready and blocked lists, open stories, epics; a
    closing note (JSON: `omitted`) counts what was left out. Never cuts an entry."""
    ctx = context(request)
    snap = await ctx.read(lambda r: svc.snapshot(r, project_id, format, max_tokens))
    return Response(
        snap.text.encode(),
        media_type=MEDIA[format],
        headers={"Estimated-Tokens": str(snap.estimated_tokens)},
    )
