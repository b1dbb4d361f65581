"""/llm/context"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.errors import RESPONSES
from pm.core.limits import INT32_MAX
from pm.core.llm_context import LlmContextEntry
from pm.service import llm_context as svc

router = APIRouter(prefix="/llm", tags=["llm"], responses=RESPONSES)


@router.get(
    "/context",
    response_model=list[LlmContextEntry],
    summary="Documentation for AI agents: schema, query patterns, business rules",
)
async def get_context(
    request: Request,
    category: Annotated[
        str | None, Query(min_length=1, max_length=40, examples=["work_items"])
    ] = None,
    context_type: Annotated[
        str | None, Query(min_length=1, max_length=40, examples=["business_rule"])
    ] = None,
    min_priority: Annotated[int, Query(ge=0, le=INT32_MAX)] = 0,
) -> Response:
    """Entries matching the optional filters, most important first."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.search_context(r, category, context_type, min_priority))
