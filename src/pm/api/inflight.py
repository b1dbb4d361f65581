"""How busy this process is with HTTP requests: the time it has had one in progress.

Background work that shares the process's core with the requests (webhook sending) reads
it to tell a saturated process (requests in progress nearly all the time) from one with
spare time, and steps aside in the first case.
"""

from __future__ import annotations

import time


class InFlight:
    """Requests in progress (the request middleware counts) and the seconds with any."""

    def __init__(self) -> None:
        self.count = 0
        self._busy = 0.0  # seconds with a request in progress, up to `_since`
        self._since = 0.0  # when the count last went from 0 to 1

    def enter(self) -> None:
        """A request started."""
        self.count += 1
        if self.count == 1:
            self._since = time.monotonic()

    def leave(self) -> None:
        """A request ended."""
        self.count -= 1
        if self.count == 0:
            self._busy += time.monotonic() - self._since

    def busy(self) -> float:
        """Seconds (CLOCK_MONOTONIC) during which a request was in progress, until now."""
        if self.count:
            return self._busy + time.monotonic() - self._since
        return self._busy
