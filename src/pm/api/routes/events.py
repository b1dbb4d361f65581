"""/events: the tenant's event stream over REST (the same stream /ws delivers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from pm.api.context import context
from pm.api.errors import RESPONSES, problem_doc
from pm.core.records import record
from pm.events.codec import event_to_dict
from pm.service import events as svc
from pm.service.uow import Reader

router = APIRouter(tags=["events"], responses=RESPONSES)


@record
class EventOut:
    """One committed change, in stream order."""

    seq: int
    created_at: int
    kind: str
    entity_id: str
    project_id: str | None
    user_id: str
    payload: dict[str, Any]


@record
class EventStream:
    """Events after `since_seq`; resume from `next_since_seq`. `last_seq` is the stream's end."""

    events: list[EventOut]
    last_seq: int
    next_since_seq: int


@router.get(
    "/events",
    response_model=EventStream,
    summary="Read the event stream",
    responses={410: problem_doc("RESYNC_REQUIRED: since_seq is no longer kept")},
)
async def read_events(
    request: Request,
    since_seq: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    project_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Committed changes with seq > since_seq, oldest first: one project's (for its members)
    or the whole tenant's (for tenant admins)."""
    ctx = context(request)

    async def run(reader: Reader) -> EventStream:
        page = await svc.readable_since(reader, since_seq, limit, project_id)
        out = [
            EventOut(
                e.seq,
                e.created_at,
                e.kind,
                e.entity_id,
                e.project_id,
                e.user_id,
                event_to_dict(e.body),
            )
            for e in page.events
        ]
        # A short page means everything up to last_seq was seen (filtered or not).
        resume = out[-1].seq if len(out) == limit else page.last_seq
        return EventStream(out, page.last_seq, resume)

    return await ctx.respond(run)
