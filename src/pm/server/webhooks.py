"""Wiring the webhook dispatcher into the app: settings → sender and schedule, hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from pm.db.repos.events import StoredEvent
from pm.server.settings import Settings
from pm.service.webhooks import resolve
from pm.webhooks.dispatcher import Busy, DispatchConfig, Dispatcher
from pm.webhooks.sender import Sender, SenderConfig

Publish = Callable[[str, Sequence[StoredEvent]], None]


def dispatcher(settings: Settings, busy: Busy | None = None) -> Dispatcher:
    """A dispatcher configured from the WEBHOOK_* settings (bind it to the tenancy), its
    attempts stepping aside while requests keep the process `busy`."""
    sender = Sender(
        SenderConfig(
            timeout=settings.webhook_timeout,
            allow_private=settings.webhook_allow_private_targets,
        )
    )
    return Dispatcher(
        sender,
        DispatchConfig(
            schedule=settings.webhook_retry_schedule,
            disable_after=round(settings.webhook_disable_after_hours * 3600),
            concurrency=settings.webhook_concurrency,
            poll_interval=settings.webhook_poll_interval,
            timeout=settings.webhook_timeout,
        ),
        busy,
    )


def fan_out(first: Publish, then: Publish) -> Publish:
    """One publisher calling two (subscribers first, then the webhook dispatcher)."""

    def publish(tenant_id: str, events: Sequence[StoredEvent]) -> None:
        first(tenant_id, events)
        then(tenant_id, events)

    return publish


def target_check(settings: Settings) -> Callable[[str], Awaitable[None]]:
    """The check a new or changed subscription URL passes (resolved, public unless allowed)."""
    allow = settings.webhook_allow_private_targets

    async def check(url: str) -> None:
        await resolve(url, allow)

    return check
