"""Keeping long-lived objects out of the cyclic garbage collector, process-wide.

With a thousand WebSockets open, a full collection walks every object of every connection
and stalls the event loop for tens of milliseconds (figures: docs/performance.md), which is
most of the delivery-latency tail. Objects alive after start-up live for the whole process,
and an open connection's objects live as long as it does, so both are frozen
(`gc.freeze()`, O(1)): full collections then only walk young objects. Objects freed by
reference counting are still freed; only cyclic garbage that was frozen (chiefly what
closed connections leave) waits for a reclaim — unfreeze, collect, freeze again — which
costs one full collection. A timer started with the application checks every MIN_INTERVAL
seconds whether a reclaim is due, so reclaims never wait for another connection to close:
once as many connections have closed as are open (at least MIN_CLOSED; at most every
MIN_INTERVAL seconds, so churn cannot turn them into constant pauses), and at least every
RECLAIM_EVERY seconds when anything was frozen or closed since the last one.
"""

from __future__ import annotations

import asyncio
import gc
import time

MIN_INTERVAL = 10.0
RECLAIM_EVERY = 300.0
MIN_CLOSED = 64


class FreezePolicy:
    """Freezes the heap at start-up and when a connection opens; reclaims on a timer."""

    def __init__(
        self, min_interval: float = MIN_INTERVAL, reclaim_every: float = RECLAIM_EVERY
    ) -> None:
        self.min_interval = min_interval
        self.reclaim_every = reclaim_every
        self.open = 0
        self.closed_since_reclaim = 0
        self._frozen_since_reclaim = False
        self._last_reclaim = time.monotonic()

    def start(self) -> None:
        """The application is set up: what is alive now lives as long as the process."""
        gc.collect()
        gc.freeze()
        self._last_reclaim = time.monotonic()

    def opened(self) -> None:
        """A connection is set up: its objects are long-lived."""
        self.open += 1
        self._frozen_since_reclaim = True
        gc.freeze()

    def closed(self) -> None:
        """A connection ended: its cyclic garbage may now sit in the frozen generation."""
        self.open = max(0, self.open - 1)
        self.closed_since_reclaim += 1

    def due(self) -> bool:
        """Whether a reclaim is due now."""
        waited = time.monotonic() - self._last_reclaim
        churned = self.closed_since_reclaim >= max(MIN_CLOSED, self.open)
        dirty = self._frozen_since_reclaim or self.closed_since_reclaim > 0
        return (churned and waited >= self.min_interval) or (dirty and waited >= self.reclaim_every)

    def tick(self) -> None:
        """Reclaim if one is due (called by `run` every `min_interval` seconds)."""
        if self.due():
            self.reclaim()

    async def run(self) -> None:
        """Check for a due reclaim every `min_interval` seconds, until cancelled."""
        while True:
            await asyncio.sleep(self.min_interval)
            self.tick()

    def reclaim(self) -> None:
        """Collect the cyclic garbage of closed connections, then freeze the rest again."""
        self._last_reclaim = time.monotonic()
        self.closed_since_reclaim = 0
        self._frozen_since_reclaim = False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
