"""Reading the tenant's event stream: what a reconnecting client missed, exactly."""

from __future__ import annotations

from pm.core.errors import ResyncRequired
from pm.core.records import record
from pm.db.repos import events as repo
from pm.db.repos.events import StoredEvent
from pm.service import access, lookups
from pm.service.access import VIEW
from pm.service.uow import Reader


@record
class EventPage:
    """Events after a resume point, and the newest seq at the time of reading."""

    events: list[StoredEvent]
    last_seq: int


async def since(
    reader: Reader, since_seq: int, limit: int, project_id: str | None = None
) -> EventPage:
    """Events with seq > since_seq (oldest first, at most `limit`); ResyncRequired if gone."""
    last = await repo.last_seq(reader.ex)
    if since_seq > last:
        raise ResyncRequired(
            f"since_seq {since_seq} is ahead of this stream (last seq "
            f"{last}); reload and resume from {last}",
            field="since_seq",
        )
    if since_seq < last:
        first = await repo.first_retained(reader.ex)
        if first is None or since_seq + 1 < first:
            raise ResyncRequired(
                f"events after {since_seq} are no longer kept; reload and resume from {last}",
                field="since_seq",
            )
    return EventPage(await repo.since(reader.ex, since_seq, limit, project_id), last)


async def readable_since(
    reader: Reader, since_seq: int, limit: int, project_id: str | None
) -> EventPage:
    """`since` for a caller: one project's events for its viewers, all for tenant admins."""
    if project_id is None:
        access.require_tenant_admin(reader, "the tenant-wide event stream")
    else:
        project_id = (await lookups.project(reader, project_id, VIEW)).id
    return await since(reader, since_seq, limit, project_id)


async def last_seq(reader: Reader) -> int:
    """The newest seq of the tenant's stream."""
    return await repo.last_seq(reader.ex)
