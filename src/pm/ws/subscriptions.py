"""Subscribe (with exact resume), Unsubscribe and Ping: the commands about the connection."""

from __future__ import annotations

import time

from pm.core.errors import InvalidInput, ResyncRequired
from pm.db.repos.events import StoredEvent
from pm.events.hub import Hub, Topics, frame, union
from pm.proto import messages_pb2 as pb
from pm.service import events, topics
from pm.ws.connection import Connection
from pm.ws.context import CommandContext, envelope


def _topics(request: pb.Subscribe | pb.Unsubscribe) -> Topics:
    return Topics(
        frozenset(request.project_ids),
        frozenset(request.sprint_ids),
        frozenset(request.work_item_ids),
    )


async def _wanted(
    ctx: CommandContext, conn: Connection, request: pb.Subscribe | pb.Unsubscribe
) -> Topics:
    """The request's topics, projects and work items named by key resolved to their ids."""
    wanted = _topics(request)
    if not topics.names_keys(wanted.project_ids, wanted.work_item_ids):
        return wanted
    _check_size(conn, wanted)  # before looking any key up
    projects, items = await ctx.read(
        lambda r: topics.resolve_keys(r, wanted.project_ids, wanted.work_item_ids)
    )
    return Topics(projects, wanted.sprint_ids, items)


def _check_size(conn: Connection, wanted: Topics) -> None:
    size = len(wanted.project_ids) + len(wanted.sprint_ids) + len(wanted.work_item_ids)
    if size > conn.limits.max_subscriptions:
        raise InvalidInput(
            f"at most {conn.limits.max_subscriptions} subscriptions per connection",
            field="project_ids",
        )


def _confirmation(conn: Connection, last_seq: int) -> tuple[str, pb.SubscriptionConfirmed]:
    t = conn.topics
    return "subscription_confirmed", pb.SubscriptionConfirmed(
        project_ids=sorted(t.project_ids),
        sprint_ids=sorted(t.sprint_ids),
        work_item_ids=sorted(t.work_item_ids),
        current_seq=last_seq,
    )


async def subscribe(ctx: CommandContext, conn: Connection, hub: Hub) -> None:
    """Subscribe to ids the caller may read; with since_seq, replay what was missed first.

    The subscription is made first and checked after, so that a membership removed while
    the check runs is either seen by the check or revokes the connection when its event is
    published. Live events are held until the reply (and the replay) are queued, so the
    client gets the reply, the missed events, then the live ones: in order, none twice.
    """
    request = ctx.message.subscribe
    wanted = await _wanted(ctx, conn, request)
    before = conn.topics
    combined = union((before, wanted))
    _check_size(conn, combined)
    tenant = ctx.actor.tenant_id
    await hub.prepare(tenant)  # no await from here to `subscribe`
    conn.hold_live_events()
    hub.subscribe(tenant, conn, wanted)
    conn.topics = combined
    try:
        await ctx.read(
            lambda r: topics.verify(r, wanted.project_ids, wanted.sprint_ids, wanted.work_item_ids)
        )
        missed, last = await _missed(ctx, conn)
    except BaseException:
        # Nothing new is subscribed when the ids cannot be read or the replay is not exact.
        hub.unsubscribe(tenant, conn, _minus(wanted, before))
        conn.topics = before
        conn.replay([])
        raise
    conn.send(envelope(ctx.message_id, _confirmation(conn, last)))
    conn.replay([(e.seq, frame(e)) for e in missed if wanted.matches(e)])


async def _missed(ctx: CommandContext, conn: Connection) -> tuple[list[StoredEvent], int]:
    """The events after the request's since_seq (none without it) and the stream's last seq."""
    request = ctx.message.subscribe
    if not request.HasField("since_seq"):
        return [], await ctx.read(events.last_seq)
    page = await ctx.read(lambda r: events.since(r, request.since_seq, conn.limits.max_replay + 1))
    if len(page.events) > conn.limits.max_replay:
        raise ResyncRequired(
            f"more than {conn.limits.max_replay} events were missed; reload and resume "
            f"from {page.last_seq}",
            field="since_seq",
        )
    return page.events, page.last_seq


def _minus(a: Topics, b: Topics) -> Topics:
    return Topics(
        a.project_ids - b.project_ids,
        a.sprint_ids - b.sprint_ids,
        a.work_item_ids - b.work_item_ids,
    )


async def unsubscribe(ctx: CommandContext, conn: Connection, hub: Hub) -> None:
    """Stop receiving events for the given ids."""
    gone = await _wanted(ctx, conn, ctx.message.unsubscribe)
    hub.unsubscribe(ctx.actor.tenant_id, conn, gone)
    t = conn.topics
    conn.topics = Topics(
        t.project_ids - gone.project_ids,
        t.sprint_ids - gone.sprint_ids,
        t.work_item_ids - gone.work_item_ids,
    )
    last = await ctx.read(events.last_seq)
    conn.send(envelope(ctx.message_id, _confirmation(conn, last)))


async def ping(ctx: CommandContext, conn: Connection, hub: Hub) -> None:
    """Pong with the same message_id."""
    conn.send(envelope(ctx.message_id, ("pong", pb.Pong(timestamp=int(time.time())))))
