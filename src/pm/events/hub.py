"""In-process fan-out: committed events → the local connections subscribed to them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pm.core.records import record
from pm.db.repos.events import StoredEvent
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb


class Subscriber(Protocol):
    """A live connection that takes frames without ever blocking the publisher."""

    @property
    def user_id(self) -> str:
        """The user the connection belongs to."""

    def deliver(self, seq: int, frame: bytes) -> None:
        """Queue one event frame (may drop the connection if it cannot keep up)."""

    def revoke(self) -> None:
        """The user's access changed: close the connection (the client resubscribes)."""


class Stream(Protocol):
    """What follows the tenants' event streams for the hub (see pm.events.follower)."""

    async def follow(self, tenant_id: str) -> None:
        """Be ready to hand the hub every event after the stream's current end."""

    def forget(self, tenant_id: str) -> None:
        """The tenant has no subscriber here any more."""


@record
class Topics:
    """What a subscriber listens to: projects, sprints and work items."""

    project_ids: frozenset[str] = frozenset()
    sprint_ids: frozenset[str] = frozenset()
    work_item_ids: frozenset[str] = frozenset()

    def matches(self, event: StoredEvent) -> bool:
        """True when the event concerns one of these topics."""
        return (
            event.project_id in self.project_ids
            or not self.sprint_ids.isdisjoint(event.sprint_ids)
            or not self.work_item_ids.isdisjoint(event.work_item_ids)
        )

    def __bool__(self) -> bool:
        return bool(self.project_ids or self.sprint_ids or self.work_item_ids)


# A member removed from a project may still be subscribed to it (or to its sprints and items):
# their connections are closed so that they can only resubscribe to what they may see.
REVOKING_KIND = EventKind.MEMBER_REMOVED


def frame(event: StoredEvent) -> bytes:
    """The wire frame of an event: envelope header (id, time, seq) + the stored body."""
    header = pb.WebSocketMessage(
        message_id=f"e{event.seq}", timestamp=event.created_at, seq=event.seq
    )
    return header.SerializeToString() + event.body


@dataclass
class _TenantIndex:
    projects: defaultdict[str, set[Subscriber]] = field(default_factory=lambda: defaultdict(set))
    sprints: defaultdict[str, set[Subscriber]] = field(default_factory=lambda: defaultdict(set))
    items: defaultdict[str, set[Subscriber]] = field(default_factory=lambda: defaultdict(set))

    def maps(self) -> tuple[defaultdict[str, set[Subscriber]], ...]:
        return self.projects, self.sprints, self.items

    def empty(self) -> bool:
        return not (self.projects or self.sprints or self.items)


def _ids(topics: Topics) -> tuple[frozenset[str], ...]:
    return topics.project_ids, topics.sprint_ids, topics.work_item_ids


class Hub:
    """Subscriptions of this process's connections, per tenant, and delivery to them."""

    def __init__(self) -> None:
        self._tenants: dict[str, _TenantIndex] = {}
        self.stream: Stream | None = None
        self.deliveries = 0  # frames handed to subscribers so far (read by the metrics)

    async def prepare(self, tenant_id: str) -> None:
        """Call before `subscribe` (with no await in between): from then on, every event
        committed after the stream's current end is published here, whichever process
        committed it."""
        if self.stream is not None:
            await self.stream.follow(tenant_id)

    def subscribe(self, tenant_id: str, subscriber: Subscriber, topics: Topics) -> None:
        """Start delivering the tenant's events on `topics` to `subscriber`."""
        index = self._tenants.setdefault(tenant_id, _TenantIndex())
        for mapping, ids in zip(index.maps(), _ids(topics), strict=True):
            for ident in ids:
                mapping[ident].add(subscriber)

    def unsubscribe(self, tenant_id: str, subscriber: Subscriber, topics: Topics) -> None:
        """Stop delivering `topics` to `subscriber`."""
        index = self._tenants.get(tenant_id)
        if index is None:
            return
        for mapping, ids in zip(index.maps(), _ids(topics), strict=True):
            for ident in ids:
                subscribers = mapping.get(ident)
                if subscribers is not None:
                    subscribers.discard(subscriber)
                    if not subscribers:
                        del mapping[ident]
        if index.empty():
            del self._tenants[tenant_id]
            if self.stream is not None:
                self.stream.forget(tenant_id)

    def publish(self, tenant_id: str, events: Sequence[StoredEvent]) -> None:
        """Deliver committed events (in sequence order) to their subscribers; never blocks."""
        index = self._tenants.get(tenant_id)
        if index is None:
            return
        for event in events:
            targets = self._targets(index, event)
            if targets:
                data = frame(event)
                for subscriber in targets:
                    subscriber.deliver(event.seq, data)
                self.deliveries += len(targets)
            if event.kind == REVOKING_KIND:
                self._revoke(index, event.entity_id)

    @staticmethod
    def _targets(index: _TenantIndex, event: StoredEvent) -> set[Subscriber]:
        targets: set[Subscriber] = set()
        if event.project_id is not None:
            targets.update(index.projects.get(event.project_id, ()))
        for mapping, ids in ((index.sprints, event.sprint_ids), (index.items, event.work_item_ids)):
            for ident in ids:
                targets.update(mapping.get(ident, ()))
        return targets

    @staticmethod
    def _revoke(index: _TenantIndex, user_id: str) -> None:
        """Close the removed member's subscribed connections (their events are queued first)."""
        subscribers = {s for mapping in index.maps() for subs in mapping.values() for s in subs}
        for subscriber in subscribers:
            if subscriber.user_id == user_id:
                subscriber.revoke()

    def subscriber_count(self, tenant_id: str) -> int:
        """How many distinct subscribers the tenant has here."""
        index = self._tenants.get(tenant_id)
        if index is None:
            return 0
        return len({s for mapping in index.maps() for subs in mapping.values() for s in subs})

    def subscription_count(self) -> int:
        """Subscriptions of every tenant here: one per (topic, subscriber)."""
        return sum(
            len(subscribers)
            for index in self._tenants.values()
            for mapping in index.maps()
            for subscribers in mapping.values()
        )


def union(topics: Iterable[Topics]) -> Topics:
    """All topics together."""
    p: set[str] = set()
    s: set[str] = set()
    w: set[str] = set()
    for t in topics:
        p |= t.project_ids
        s |= t.sprint_ids
        w |= t.work_item_ids
    return Topics(frozenset(p), frozenset(s), frozenset(w))
