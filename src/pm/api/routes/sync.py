"""/sync/export and /sync/import: a tenant (or one project) as one JSON document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from pm.api.deps import JSON, Context, context
from pm.api.dtos.sync import ExportDocument
from pm.api.errors import RESPONSES
from pm.service import sync as svc

router = APIRouter(tags=["sync"], responses=RESPONSES)


@router.get(
    "/sync/export",
    response_model=ExportDocument,
    summary="Export the tenant or one project as one document",
)
async def export(
    request: Request,
    project: Annotated[
        str | None, Query(max_length=64, description="A project's key or id: only that project")
    ] = None,
) -> Response:
    """Streams every row (deleted ones too) as of one moment, parents before children.

    The whole tenant is for tenant admins; `?project=` for that project's admins.
    """
    ctx = context(request)
    project_id = await ctx.read(lambda r: svc.export_scope(r, project))
    return StreamingResponse(_document(ctx, project_id), media_type=JSON)


async def _document(ctx: Context, project_id: str | None) -> AsyncIterator[bytes]:
    """The document in pieces of a page each: memory stays flat however large the tenant."""
    async with ctx.services.tenancy.snapshot(ctx.actor) as reader:
        yield orjson.dumps(svc.envelope(reader))[:-1]
        current, empty = "", True
        async for name, rows in svc.export_pages(reader, project_id):
            if name != current:
                yield (b"]" if current else b"") + b',"' + name.encode() + b'":['
                current, empty = name, True
            if rows:
                chunk = orjson.dumps(rows)[1:-1]
                yield chunk if empty else b"," + chunk
                empty = False
        yield b"]}"
