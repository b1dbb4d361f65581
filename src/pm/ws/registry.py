"""Counts of open connections per user and per tenant, for the handshake limits."""

from __future__ import annotations

from collections import Counter

from pm.core.actor import Actor
from pm.core.errors import RateLimited
from pm.ws.limits import WsLimits


class ConnectionRegistry:
    """Admits a connection only while its user and tenant are under their limits."""

    def __init__(self, limits: WsLimits) -> None:
        self.limits = limits
        self._users: Counter[tuple[str, str]] = Counter()
        self._tenants: Counter[str] = Counter()

    def admit(self, actor: Actor) -> None:
        """Count a new connection, or raise RateLimited when a limit is reached."""
        user = (actor.tenant_id, actor.user_id)
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
