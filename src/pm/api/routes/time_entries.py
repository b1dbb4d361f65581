"""/work-items/{id_or_key}/time-entries, /work-items/{id_or_key}/timer and /time-entries"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.dtos.time_entries import (
    CreateTimeEntry,
    EntryLimit,
    Offset,
    StartTimer,
    UpdateTimeEntry,
)
from pm.api.errors import RESPONSES
from pm.core.time_entries import TimeEntry
from pm.service import time_entries as svc

router = APIRouter(tags=["time entries"], responses=RESPONSES)


@router.get(
    "/work-items/{id_or_key}/time-entries",
    response_model=svc.TimeEntryList,
    summary="List a work item's time entries",
)
async def list_time_entries(
    request: Request, id_or_key: str, limit: EntryLimit = 100, offset: Offset = 0
) -> Response:
    """Newest first, with the total count for paging by offset."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.list_time_entries(r, id_or_key, limit, offset))


@router.post(
    "/work-items/{id_or_key}/time-entries",
    status_code=201,
    response_model=TimeEntry,
    summary="Log time on a work item",
)
async def create_time_entry(request: Request, id_or_key: str, body: CreateTimeEntry) -> Response:
    """Record a finished entry for the calling user; its duration is computed."""
    ctx = context(request)
    return await ctx.write(
        lambda uow: svc.create_time_entry(
            uow, id_or_key, body.started_at, body.ended_at, body.description
        ),
        201,
    )


@router.post(
    "/work-items/{id_or_key}/timer/start",
    status_code=201,
    response_model=svc.TimerStart,
    summary="Start a timer on a work item",
)
async def start_timer(request: Request, id_or_key: str, body: StartTimer | None = None) -> Response:
    """Start the calling user's timer; their other running timer, if any, is stopped."""
    ctx = context(request)
    description = body.description if body is not None else None
    return await ctx.write(lambda uow: svc.start_timer(uow, id_or_key, description), 201)


@router.get(
    "/time-entries/running",
    response_model=svc.RunningTimer,
    summary="Your running timer",
)
async def get_running_timer(request: Request) -> Response:
    """The calling user's running timer, or null."""
    ctx = context(request)
    return await ctx.respond(svc.get_running_timer)


@router.post(
    "/time-entries/{entry_id}/stop", response_model=TimeEntry, summary="Stop a running timer"
)
async def stop_timer(request: Request, entry_id: str) -> Response:
    """Stop your running timer now; its duration is computed."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.stop_timer(uow, entry_id))


@router.get("/time-entries/{entry_id}", response_model=TimeEntry, summary="Get a time entry")
async def get_time_entry(request: Request, entry_id: str) -> Response:
    """One live time entry."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.get_time_entry(r, entry_id))


@router.patch("/time-entries/{entry_id}", response_model=TimeEntry, summary="Update a time entry")
async def update_time_entry(request: Request, entry_id: str, body: UpdateTimeEntry) -> Response:
    """Change start, end or description of your entry; the duration follows."""
    patch = body.patch()
    return await context(request).write(lambda uow: svc.update_time_entry(uow, entry_id, patch))


router.put(
    "/time-entries/{entry_id}", response_model=TimeEntry, summary="Update a time entry (PUT)"
)(update_time_entry)


@router.delete(
    "/time-entries/{entry_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a time entry",
)
async def delete_time_entry(request: Request, entry_id: str) -> Response:
    """Soft-delete your entry (a running timer is discarded)."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.delete_time_entry(uow, entry_id), 204)
