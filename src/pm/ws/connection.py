"""One client connection: its subscriptions and a bounded outbound queue drained by one task."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from starlette.websockets import WebSocket

from pm.core.actor import Actor
from pm.core.ratelimit import TokenBucket
from pm.events.hub import Topics
from pm.ws.limits import CLOSE_ACCESS_CHANGED, CLOSE_SLOW_CONSUMER, WsLimits

log = logging.getLogger(__name__)


class Connection:
    """Frames for the client are queued (never awaited by the publisher) and sent in order.

    A client that stops reading lets its queue fill; past the limit it is dropped with the
    "slow consumer" close code, so it can never delay anyone else.
    """

    def __init__(self, ws: WebSocket, actor: Actor, limits: WsLimits, bucket: TokenBucket) -> None:
        self.ws = ws
        self.actor = actor
        self.limits = limits
        self.topics = Topics()
        self.bucket = bucket  # the user's, shared by their connections
        self.rate_violations = 0
        self.high_water = 0  # highest event seq queued
        self.close_code: tuple[int, str] | None = None
        self.flushing = False
        self._queue: deque[bytes] = deque()
        self._allowance = 0  # extra room while a resume replay is queued
        self._ready = asyncio.Event()
        self._pending: list[tuple[int, bytes]] | None = None
        self.tasks: tuple[asyncio.Task[None], ...] = ()  # (receiver, sender)

    @property
    def user_id(self) -> str:
        """The connection's user."""
        return self.actor.user_id

    def revoke(self) -> None:
        """The user lost access to something subscribed: close after what is queued."""
        self.drop(
            CLOSE_ACCESS_CHANGED,
            "your project membership changed; reconnect and resubscribe",
            flush=True,
        )

    # Called by the hub for every event on a subscribed topic.
    def deliver(self, seq: int, frame: bytes) -> None:
        """Queue an event frame (in seq order, each at most once)."""
        if self._pending is not None:
            self._pending.append((seq, frame))
            return
        if seq <= self.high_water or self.close_code is not None:
            return
        self.high_water = seq
        self._push(frame)

    def send(self, frame: bytes) -> None:
        """Queue a reply frame."""
        if self.close_code is None:
            self._push(frame)

    def hold_live_events(self) -> None:
        """Buffer live events while a replay is being read, so they follow it in order."""
        self._pending = []

    def replay(self, events: list[tuple[int, bytes]]) -> None:
        """Queue replayed events, then the live events held meanwhile (without duplicates)."""
        pending, self._pending = self._pending or [], None
        self._allowance = len(events) + len(pending)
        for seq, frame in events:
            self.deliver(seq, frame)
        for seq, frame in pending:
            self.deliver(seq, frame)

    def _push(self, frame: bytes) -> None:
        if len(self._queue) >= self.limits.send_queue + self._allowance:
            self.drop(CLOSE_SLOW_CONSUMER, "slow consumer: too many unsent messages")
            return
        self._queue.append(frame)
        self._ready.set()

    def drop(self, code: int, reason: str, *, flush: bool = False) -> None:
        """Close the connection from the server side (never blocks the caller).

        With `flush`, what is already queued (e.g. the Error explaining the close) is sent
        first; otherwise it is discarded (a slow consumer could not take it anyway).
        """
        if self.close_code is not None:
            return
        self.close_code = (code, reason)
        self.flushing = flush
        if flush:
            self._ready.set()
            if self.tasks:
                self.tasks[0].cancel()  # stop reading; the sender drains, then returns
            return
        self._queue.clear()
        for task in self.tasks:
            task.cancel()

    async def send_loop(self) -> None:
        """Drain the queue to the socket, in order."""
        queue, ready, ws = self._queue, self._ready, self.ws
        while True:
            await ready.wait()
            ready.clear()
            while queue:
                await ws.send_bytes(queue.popleft())
            self._allowance = 0
            if self.close_code is not None:
                return
