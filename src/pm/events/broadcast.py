"""BROADCAST_URL=redis://…: instances learn of each other's commits over Redis pub/sub.

Every instance publishes each commit's events on the tenant's channel (`pm:events:<tenant>`)
and subscribes to the channels of the tenants it follows (pm.events.follower). A message
whose first event is the next one expected is delivered as it is; any other goes through
the follower, which reads the hole from the database. Redis is only ever a shortcut:

- publishing never holds up a write: messages are queued and sent by a background task;
  while Redis is unreachable they are dropped (the database has the events);
- after a reconnection every followed tenant is resubscribed and read from the database,
  so subscribers catch up on what the outage hid, exactly;
- every CHECK_INTERVAL seconds each followed tenant is read from the database anyway, so
  the loss of the last message before a quiet spell delays its event, never drops it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import orjson
import redis.asyncio as redis
from redis.exceptions import RedisError

from pm.core.records import field_values
from pm.db.repos.events import StoredEvent
from pm.events.follower import Follower

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "pm:events:"
IDLE_CHANNEL = CHANNEL_PREFIX + "-"  # not a tenant id: keeps the subscriber connection open
CHECK_INTERVAL = 1.0  # seconds between database reads of every followed tenant
MAX_BACKOFF = 2.0  # longest pause between reconnection attempts
MAX_QUEUED = 10_000  # messages held for Redis at most (older ones are dropped first)
POLL = 0.02  # seconds the subscriber waits for a message before looking at its work


_FIELDS = field_values(StoredEvent)  # seq, created_at, ..., user_id, body: in this order


def encode(origin: bytes, events: Sequence[StoredEvent]) -> bytes:
    """A message: the publishing instance, then the events' fields (bodies in base64)."""
    rows = []
    for event in events:
        *head, _ = _FIELDS(event)
        rows.append([*head, base64.b64encode(event.body).decode()])
    return origin + b" " + orjson.dumps(rows)


def decode(message: bytes) -> tuple[bytes, list[StoredEvent]]:
    """The publishing instance and the events of a message."""
    origin, _, data = message.partition(b" ")
    rows: list[list[Any]] = orjson.loads(data)
    return origin, [
        StoredEvent(
            int(seq),
            int(created),
            str(kind),
            str(entity),
            project,
            tuple(sprints),
            tuple(items),
            str(user),
            base64.b64decode(body),
        )
        for seq, created, kind, entity, project, sprints, items, user, body in rows
    ]


class RedisBroadcast:
    """Publishes this instance's commits and feeds the follower with everybody else's."""

    def __init__(self, follower: Follower, url: str) -> None:
        self.follower = follower
        self.url = url
        self.origin = os.urandom(8).hex().encode()  # this process, to skip its own messages
        self.connected = False
        self._outbox: deque[tuple[str, bytes]] = deque(maxlen=MAX_QUEUED)
        self._ready = asyncio.Event()
        self._changed = True  # the followed tenants changed: (un)subscribe
        self._tasks: list[asyncio.Task[None]] = []
        follower.broadcast = self

    # -- called by the follower --

    def publish(self, tenant_id: str, events: Sequence[StoredEvent]) -> None:
        """Queue a local commit for the other instances (never blocks)."""
        self._outbox.append((CHANNEL_PREFIX + tenant_id, encode(self.origin, events)))
        self._ready.set()

    def following(self, tenant_id: str) -> None:
        """The follower started or stopped following a tenant."""
        self._changed = True

    # -- background work --

    def start(self) -> None:
        """Start publishing, subscribing and the periodic check (call from a running loop)."""
        loop = asyncio.get_running_loop()
        if not self._tasks:
            self._tasks = [
                loop.create_task(self._publisher(), name="redis-publish"),
                loop.create_task(self._subscriber(), name="redis-subscribe"),
                loop.create_task(self._checker(), name="stream-check"),
            ]

    async def close(self) -> None:
        """Stop the background work."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def _client(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=5
        )

    async def _publisher(self) -> None:
        backoff = _Backoff("publishing to Redis")
        client = self._client()
        try:
            while True:
                if not self._outbox:
                    self._ready.clear()
                    await self._ready.wait()
                try:
                    async with client.pipeline(transaction=False) as pipe:
                        batch = [self._outbox.popleft() for _ in range(len(self._outbox))]
                        for channel, message in batch:
                            pipe.publish(channel, message)
                        await pipe.execute()
                    backoff.ok()
                except (RedisError, OSError) as exc:
                    # Dropped: the events are in the database; the others read them there.
                    backoff.failed(exc)
                    await asyncio.sleep(backoff.delay)
        finally:
            await client.aclose()

    async def _subscriber(self) -> None:
        backoff = _Backoff("subscribing to Redis")
        while True:
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(IDLE_CHANNEL)
                subscribed: set[str] = set()
                self._changed = True
                first = True
                while True:
                    if self._changed:
                        self._changed = False
                        subscribed = await self._resubscribe(pubsub, subscribed)
                        if first:  # connected: what Redis could not tell us is in the stream
                            first = False
                            self.connected = True
                            backoff.ok()
                            for tenant_id in list(self.follower.followed):
                                self.follower.notify(tenant_id)
                    message = await pubsub.get_message(timeout=POLL)
                    if message is not None and message["type"] == "message":
                        self._received(message["channel"], message["data"])
            except (RedisError, OSError) as exc:
                self.connected = False
                backoff.failed(exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                with contextlib.suppress(RedisError, OSError):
                    await client.aclose()
            await asyncio.sleep(backoff.delay)

    async def _resubscribe(self, pubsub: Any, subscribed: set[str]) -> set[str]:
        wanted = {CHANNEL_PREFIX + t for t in self.follower.followed}
        new, gone = wanted - subscribed, subscribed - wanted
        if new:
            await pubsub.subscribe(*new)
            # Subscribed now; what was published before is in the stream.
            for channel in new:
                self.follower.notify(channel.removeprefix(CHANNEL_PREFIX))
        if gone:
            await pubsub.unsubscribe(*gone)
        return wanted

    def _received(self, channel: bytes, data: bytes) -> None:
        if data.startswith(self.origin):
            return  # our own commit, delivered already
        tenant_id = channel.decode().removeprefix(CHANNEL_PREFIX)
        if tenant_id not in self.follower.followed:
            return
        try:
            _, events = decode(data)
        except (ValueError, TypeError):
            log.warning("undecodable broadcast message", extra={"tenant_id": tenant_id})
            self.follower.notify(tenant_id)
            return
        if events:
            self.follower.receive(tenant_id, events)

    async def _checker(self) -> None:
        while True:
            await asyncio.sleep(CHECK_INTERVAL)
            for tenant_id in list(self.follower.followed):
                self.follower.notify(tenant_id)


class _Backoff:
    """Growing pauses between attempts, and one log line per outage (not one per attempt)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.delay = 0.1
        self.since: float | None = None

    def failed(self, exc: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s failed (%s); retrying", self.what, exc)
        self.delay = min(MAX_BACKOFF, self.delay * 2)

    def ok(self) -> None:
        if self.since is not None:
            log.info("%s works again after %.1f s", self.what, time.monotonic() - self.since)
            self.since = None
        self.delay = 0.1
