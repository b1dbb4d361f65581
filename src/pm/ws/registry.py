"""Per-user and per-tenant limits across connections: how many are open, how fast a user sends."""

from __future__ import annotations

import math
import time
from collections import Counter, OrderedDict

from pm.core.actor import Actor
from pm.core.errors import RateLimited
from pm.core.ratelimit import TokenBucket
from pm.ws.limits import WsLimits

_MAX_BUCKETS = 100_000


class ConnectionRegistry:
    """Admits a connection only while its user and tenant are under their limits."""

    def __init__(self, limits: WsLimits) -> None:
        self.limits = limits
        self._users: Counter[tuple[str, str]] = Counter()
        self._tenants: Counter[str] = Counter()
        self._buckets: OrderedDict[tuple[str, str], TokenBucket] = OrderedDict()

    def bucket(self, actor: Actor) -> TokenBucket:
        """The user's message budget, shared by all their connections (and their handshakes).

        It outlives the connections (least recently used first out), so reconnecting never
        buys a fresh burst.
        """
        key = (actor.tenant_id, actor.user_id)
        found = self._buckets.get(key)
        if found is None:
            limits = self.limits
            found = self._buckets[key] = TokenBucket(
                limits.rate_per_second, limits.rate_burst, time.monotonic()
            )
            if len(self._buckets) > _MAX_BUCKETS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
        return found

    def admit(self, actor: Actor) -> None:
        """Count a new connection, or raise RateLimited when a limit is reached.

        Opening a connection spends one message of the user's budget, so a client that
        reconnects in a loop is held to the message rate too.
        """
        user = (actor.tenant_id, actor.user_id)
        budget = self.bucket(actor)
        if not budget.take(time.monotonic()):
            raise RateLimited(
                f"at most {self.limits.rate_per_second:g} messages and connections per second "
                "per user",
                retry_after=max(1, math.ceil(budget.wait())),
            )
        if self._users[user] >= self.limits.max_connections_per_user:
            raise RateLimited(
                f"at most {self.limits.max_connections_per_user} connections per user",
                retry_after=5,
            )
        if self._tenants[actor.tenant_id] >= self.limits.max_connections_per_tenant:
            raise RateLimited(
                f"at most {self.limits.max_connections_per_tenant} connections per tenant",
                retry_after=5,
            )
        self._users[user] += 1
        self._tenants[actor.tenant_id] += 1

    def leave(self, actor: Actor) -> None:
        """Forget a closed connection."""
        user = (actor.tenant_id, actor.user_id)
        self._users[user] -= 1
        if self._users[user] <= 0:
            del self._users[user]
        self._tenants[actor.tenant_id] -= 1
        if self._tenants[actor.tenant_id] <= 0:
            del self._tenants[actor.tenant_id]

    def count(self, tenant_id: str) -> int:
        """Open connections of a tenant."""
        return self._tenants[tenant_id]
