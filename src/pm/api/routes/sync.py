"""/sync/export and /sync/import: a tenant (or one project) as one JSON document."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from pm.api import importfile
from pm.api.context import JSON, Context, context, render
from pm.api.dtos.sync import Counts, ExportDocument, ImportResult
from pm.api.errors import RESPONSES
from pm.service import sync as svc
from pm.service.importer import Importer
from pm.service.uow import UnitOfWork

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


@router.post(
    "/sync/import",
    response_model=ImportResult,
    summary="Import an export document into this tenant",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {JSON: {"schema": {"$ref": "#/components/schemas/ExportDocument"}}},
        }
    },
)
async def import_document(
    request: Request,
    mode: Annotated[
        Literal["create", "merge"],
        Query(description="create: into an empty tenant; merge: upsert, newer updated_at wins"),
    ] = "create",
    dry_run: Annotated[bool, Query(description="Check everything, write nothing")] = False,
) -> Response:
    """One transaction: every row or none. For tenant admins; the body may be as large as
    IMPORT_MAX_BYTES (it is streamed to a temporary file, not held in memory)."""
    ctx = context(request)
    document = await importfile.spool(request, ctx.services.import_max_bytes)
    try:

        async def run(uow: UnitOfWork) -> ImportResult:
            importer = Importer(uow, merge=mode == "merge")
            await importer.begin()
            for count, (section, index, row) in enumerate(importfile.rows(document)):
                await importer.add(section, index, row)
                if count % 500 == 499:
                    await asyncio.sleep(0)  # other tenants' requests run meanwhile
            counts = await importer.finish()
            return ImportResult(mode, dry_run, {k: Counts(**v) for k, v in counts.items()})

        tenancy = ctx.services.tenancy
        if dry_run:
            result = await tenancy.rehearse(ctx.actor, run)
        else:
            async with tenancy.unit_of_work(ctx.actor) as uow:
                result = await run(uow)
    finally:
        document.close()
    return Response(render(result), media_type=JSON)
