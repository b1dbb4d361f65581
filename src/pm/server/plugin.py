"""The plugin API: what a host platform may hand to `create_app` when it mounts pm inside itself.

See docs/deployment.md (Plugin mode) for a complete host. Everything a host needs is
importable from here, apart from `create_app` itself (`pm.server.app`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from pm.auth.host import Authenticate, InvalidPrincipal, Principal
from pm.db.repos.events import StoredEvent
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.service.uow import Publisher

__all__ = [
    "Authenticate",
    "EventHook",
    "InvalidPrincipal",
    "Principal",
    "StorageConfig",
    "StoredEvent",
    "TenantConnectionManager",
]

log = logging.getLogger(__name__)

# Receives every committed event of this app: the tenant id and the events of one commit, in
# `seq` order, right after the commit. It runs while the tenant's writers wait their turn, so
# it must not block: hand the events on (e.g. `queue.put_nowait`) and return. Each event's
# `body` is a serialised `WebSocketMessage` holding only the payload (proto/messages.proto).
EventHook = Callable[[str, Sequence[StoredEvent]], None]


def with_event_hook(publish: Publisher, hook: EventHook) -> Publisher:
    """Deliver to our subscribers first, then to the host's hook; a failing hook is logged."""
    if not callable(hook):
        raise TypeError(
            f"on_event must be a callable (tenant_id, events) -> None, not {type(hook).__name__}"
        )

    def publish_and_hand_on(tenant_id: str, events: Sequence[StoredEvent]) -> None:
        publish(tenant_id, events)
        try:
            hook(tenant_id, events)
        except Exception:
            # The events are committed and delivered: the host's failure must not undo that.
            log.exception("the host's event hook failed", extra={"tenant_id": tenant_id})

    return publish_and_hand_on
