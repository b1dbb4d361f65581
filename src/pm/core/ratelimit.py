"""Token buckets: `rate` actions per second on average, bursts of up to `burst`."""

from __future__ import annotations


class TokenBucket:
    """A bucket refilled continuously; callers pass the current (monotonic) time."""

    __slots__ = ("_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._last = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one."""
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    @property
    def remaining(self) -> int:
        """Whole tokens left (as of the last take)."""
        return int(self._tokens)

    def wait(self) -> float:
        """Seconds until the next token (as of the last take)."""
        missing = 1 - self._tokens
        return 0.0 if missing <= 0 else missing / self.rate
