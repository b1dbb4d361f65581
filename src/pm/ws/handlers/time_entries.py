"""Time tracking commands: timers, manual entries, edits, deletes and listings."""

from __future__ import annotations

from pm.events.entities_pb import time_entry_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import time_entries as svc
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope
from pm.ws.handlers.decoding import cleared, window

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@command("start_timer_request")
async def start_timer(ctx: CommandContext) -> bytes:
    """Start the caller's timer on a work item, stopping their running one."""
    req = ctx.message.start_timer_request
    description = req.description if req.HasField("description") else None
    return await ctx.announce(
        lambda uow: svc.start_timer(uow, req.work_item_id, description), EventKind.TIMER_STARTED
    )


@command("stop_timer_request")
async def stop_timer(ctx: CommandContext) -> bytes:
    """Stop one of the caller's running timers now."""
    req = ctx.message.stop_timer_request
    return await ctx.announce(
        lambda uow: svc.stop_timer(uow, req.time_entry_id), EventKind.TIMER_STOPPED
    )


@command("create_time_entry_request")
async def create_time_entry(ctx: CommandContext) -> bytes:
    """Record time the caller already spent on a work item."""
    req = ctx.message.create_time_entry_request
    description = req.description if req.HasField("description") else None
    return await ctx.announce(
        lambda uow: svc.create_time_entry(
            uow, req.work_item_id, req.started_at, req.ended_at, description
        ),
        EventKind.TIME_ENTRY_CREATED,
    )


@command("update_time_entry_request")
async def update_time_entry(ctx: CommandContext) -> bytes:
    """Change the start, end or description of one of the caller's entries."""
    req = ctx.message.update_time_entry_request
    patch = _patch(req)
    return await ctx.announce(
        lambda uow: svc.update_time_entry(uow, req.time_entry_id, patch),
        EventKind.TIME_ENTRY_UPDATED,
    )


def _patch(req: pb.UpdateTimeEntryRequest) -> svc.TimeEntryPatch:
    """The fields the client set, as the service's patch."""
    patch: svc.TimeEntryPatch = {}
    if req.HasField("started_at"):
        patch["started_at"] = req.started_at
    if req.HasField("ended_at"):
        patch["ended_at"] = req.ended_at
    if req.HasField("description"):
        patch["description"] = cleared(req.description)
    return patch


@command("delete_time_entry_request")
async def delete_time_entry(ctx: CommandContext) -> bytes:
    """Soft-delete one of the caller's entries (a running timer is discarded)."""
    req = ctx.message.delete_time_entry_request
    return await ctx.announce(
        lambda uow: svc.delete_time_entry(uow, req.time_entry_id), EventKind.TIME_ENTRY_DELETED
    )


@command("get_time_entries_request")
async def get_time_entries(ctx: CommandContext) -> bytes:
    """A page of a work item's time entries, newest first, with the total count."""
    req = ctx.message.get_time_entries_request
    limit, offset = window(req.limit, req.offset, DEFAULT_LIMIT, MAX_LIMIT)
    found = await ctx.read(lambda r: svc.list_time_entries(r, req.work_item_id, limit, offset))
    return envelope(
        ctx.message_id,
        (
            "time_entries_list",
            pb.TimeEntriesList(
                time_entries=[time_entry_pb(e) for e in found.items], total_count=found.total_count
            ),
        ),
    )


@command("get_running_timer_request")
async def get_running_timer(ctx: CommandContext) -> bytes:
    """The caller's running timer; time_entry stays unset when there is none."""
    running = await ctx.read(svc.get_running_timer)
    entry = running.time_entry
    return envelope(
        ctx.message_id,
        (
            "running_timer_response",
            pb.RunningTimerResponse(time_entry=None if entry is None else time_entry_pb(entry)),
        ),
    )
