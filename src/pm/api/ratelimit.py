"""REST rate limits per user and per tenant (in this process), answered 429 when exceeded."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import TypeVar

from pm.core.actor import Actor
from pm.core.errors import RateLimited
from pm.core.ratelimit import TokenBucket

K = TypeVar("K")
_MAX_TRACKED = 100_000  # idle buckets beyond this are forgotten (they would be full anyway)


class RateLimiter:
    """One token bucket per user and one per tenant; a rate of 0 disables that limit."""

    def __init__(
        self, user_rate: float, user_burst: int, tenant_rate: float, tenant_burst: int
    ) -> None:
        self.user_rate, self.user_burst = user_rate, user_burst
        self.tenant_rate, self.tenant_burst = tenant_rate, tenant_burst
        self._users: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()
        self._tenants: OrderedDict[str, TokenBucket] = OrderedDict()

    def check(self, actor: Actor) -> None:
        """Count one request of `actor`; raise RateLimited if a limit is exceeded."""
        now = time.monotonic()
        if self.user_rate:
            bucket = _bucket(
                self._users, (actor.tenant_id, actor.user_id), self.user_rate, self.user_burst, now
            )
            if not bucket.take(now):
                raise _limited("user", bucket, self.user_rate)
        if self.tenant_rate:
            bucket = _bucket(
                self._tenants, actor.tenant_id, self.tenant_rate, self.tenant_burst, now
            )
            if not bucket.take(now):
                raise _limited("tenant", bucket, self.tenant_rate)


def _bucket(
    buckets: OrderedDict[K, TokenBucket], key: K, rate: float, burst: int, now: float
) -> TokenBucket:
    bucket = buckets.get(key)
    if bucket is None:
        bucket = buckets[key] = TokenBucket(rate, burst, now)
        if len(buckets) > _MAX_TRACKED:
            buckets.popitem(last=False)
    else:
        buckets.move_to_end(key)
    return bucket


def _limited(scope: str, bucket: TokenBucket, rate: float) -> RateLimited:
    wait = max(1, math.ceil(bucket.wait()))
    return RateLimited(
        f"too many requests for this {scope}: at most {rate:g} per second; retry in {wait} s",
        retry_after=wait,
        limit=math.ceil(rate),
    )
