"""Keeping long-lived connection objects out of the cyclic garbage collector.

With a thousand WebSockets open, a full collection walks every object of every connection
and stalls the event loop for 50-90 ms (measured), which is most of the delivery-latency
tail. An open connection's objects live as long as it does, so once it is set up they are
frozen (`gc.freeze()`, O(1)): full collections then only walk young objects. Objects freed
by reference counting are still freed; only cyclic garbage of closed connections waits,
until a reclaim (unfreeze, collect, freeze again) at most every RECLAIM_EVERY seconds.
"""

from __future__ import annotations

import gc
import time

RECLAIM_EVERY = 300.0


class FreezePolicy:
    """Freezes the heap when a connection opens; reclaims after closes, rarely."""

    def __init__(self, reclaim_every: float = RECLAIM_EVERY) -> None:
        self.reclaim_every = reclaim_every
        self.closed_since_reclaim = 0
        self._last_reclaim = time.monotonic()

    def opened(self) -> None:
        """A connection is set up: its objects are long-lived."""
        gc.freeze()

    def closed(self) -> None:
        """A connection ended: its cyclic garbage may now sit in the frozen generation."""
        self.closed_since_reclaim += 1
        now = time.monotonic()
        if now - self._last_reclaim >= self.reclaim_every:
            self._last_reclaim = now
            self.closed_since_reclaim = 0
            gc.unfreeze()
            gc.collect()
            gc.freeze()
