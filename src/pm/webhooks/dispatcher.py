"""The delivery loop: which subscriptions have work, one sender per subscription at a time.

Each process runs one dispatcher. It learns of new events from the after-commit hook (its
own writes: at once) and by looking at every watched tenant each `poll_interval` (writes
of other workers and instances, due retries). Every delivery is leased in the database
before it is sent, so however many processes run, one attempt is made at a time; a
process killed mid-attempt leaves a lease that expires, and the delivery is sent again
(the same `webhook-id`: at least once). Sending is bounded per process (`concurrency`),
and a slow receiver only holds up its own subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Sequence

from pm.core.actor import Actor
from pm.core.errors import DomainError
from pm.core.records import record
from pm.core.webhooks import DEFAULT_SCHEDULE
from pm.db.repos.events import StoredEvent
from pm.service import webhooks as svc
from pm.service.uow import Tenancy
from pm.webhooks.sender import Sender

log = logging.getLogger(__name__)
SYSTEM_USER = "system:webhooks"
LEASE_MARGIN = 5  # seconds a lease outlives the attempt's timeout (clock skew between hosts)


@record
class DispatchConfig:
    """How deliveries are scheduled."""

    schedule: tuple[int, ...] = DEFAULT_SCHEDULE
    disable_after: int = 120 * 3600
    concurrency: int = 16
    poll_interval: float = 1.0
    timeout: float = 15.0


class Dispatcher:
    """Finds due deliveries in watched tenants and sends them, in order per subscription."""

    def __init__(self, sender: Sender, config: DispatchConfig) -> None:
        self._tenancy: Tenancy | None = None
        self.sender = sender
        self.config = config
        self._tenants: set[str] = set()
        self._dirty: set[str] = set()
        self._generation: dict[str, int] = {}
        self._busy: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(config.concurrency)
        self._task: asyncio.Task[None] | None = None

    def bind(self, tenancy: Tenancy) -> None:
        """The service entry deliveries are read and written through (its publisher feeds
        `notify`, so it is made after the dispatcher)."""
        self._tenancy = tenancy

    @property
    def tenancy(self) -> Tenancy:
        """The bound service entry."""
        if self._tenancy is None:
            raise RuntimeError("Dispatcher.bind(tenancy) was not called")
        return self._tenancy

    def watch(self, tenant_id: str) -> None:
        """Look at this tenant's subscriptions from now on (one was just made or enabled)."""
        self._tenants.add(tenant_id)
        self.notify(tenant_id, ())

    def notify(self, tenant_id: str, events: Sequence[StoredEvent]) -> None:
        """After-commit hook: the tenant has new events (never blocks)."""
        if tenant_id in self._tenants:
            self._generation[tenant_id] = self._generation.get(tenant_id, 0) + 1
            self._dirty.add(tenant_id)
            self._wake.set()

    def start(self) -> None:
        """Start the loop (and the discovery of tenants that have subscriptions)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the loop and every attempt in flight (their leases expire; nothing is lost)."""
        tasks = [t for t in (self._task, *self._busy.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        await self.sender.close()

    def _actor(self, tenant_id: str) -> Actor:
        return Actor(tenant_id, SYSTEM_USER, is_tenant_admin=True)

    async def _discover(self) -> None:
        """Watch every tenant that has an enabled subscription (once, at start)."""
        for tenant in await asyncio.to_thread(self.tenancy.manager.known_tenants):
            try:
                async with self.tenancy.reading(self._actor(tenant)) as reader:
                    if await svc.enabled(reader):
                        self.watch(tenant)
            except Exception:
                log.warning("cannot look for webhooks", exc_info=True, extra={"tenant_id": tenant})
            await asyncio.sleep(0)

    async def _run(self) -> None:
        discovery = asyncio.get_running_loop().create_task(self._discover())
        last_sweep = 0.0
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.config.poll_interval)
                self._wake.clear()
                now = time.monotonic()
                if now - last_sweep >= self.config.poll_interval:
                    last_sweep = now
                    due = set(self._tenants)
                else:
                    due = self._dirty & self._tenants
                self._dirty.clear()
                for tenant in due:
                    await self._start_tenant(tenant)
        finally:
            discovery.cancel()

    async def _start_tenant(self, tenant_id: str) -> None:
        try:
            async with self.tenancy.reading(self._actor(tenant_id)) as reader:
                webhooks = await svc.enabled(reader)
        except Exception:
            log.warning("cannot read webhooks", exc_info=True, extra={"tenant_id": tenant_id})
            return
        if not webhooks:
            self._tenants.discard(tenant_id)
            return
        loop = asyncio.get_running_loop()
        for webhook in webhooks:
            key = (tenant_id, webhook.id)
            if key not in self._busy:
                task = loop.create_task(self._drain(tenant_id, webhook.id))
                self._busy[key] = task
                task.add_done_callback(functools.partial(self._done, key))

    def _done(self, key: tuple[str, str], _: asyncio.Task[None]) -> None:
        self._busy.pop(key, None)

    async def _drain(self, tenant_id: str, webhook_id: str) -> None:
        """Send the subscription's due deliveries one after the other, then return."""
        actor = self._actor(tenant_id)
        while True:
            seen = self._generation.get(tenant_id, 0)
            try:
                step = await self._step(actor, webhook_id)
            except DomainError as exc:  # busy database, a conflict with another process
                log.info("webhook step deferred: %s", exc, extra={"tenant_id": tenant_id})
                return
            except Exception:
                log.exception("webhook delivery failed", extra={"tenant_id": tenant_id})
                return
            if not step and self._generation.get(tenant_id, 0) == seen:
                return

    async def _step(self, actor: Actor, webhook_id: str) -> bool:
        """One delivery attempt if one is due and ours to make; False when there is none."""
        until = int(time.time() + self.config.timeout + LEASE_MARGIN)
        async with self.tenancy.unit_of_work(actor) as uow:
            found = await svc.next_delivery(uow, webhook_id)
            if found is None:
                return False
            webhook, delivery = found
            if delivery.next_attempt_at > uow.now or not await svc.lease(uow, delivery.id, until):
                return False  # a retry not due yet (the sweep comes back), or another sender's
        async with self._slots:
            outcome = await self.sender.send(webhook, delivery, int(time.time()))
        async with self.tenancy.unit_of_work(actor) as uow:
            await svc.record_attempt(
                uow,
                webhook,
                delivery,
                outcome,
                schedule=self.config.schedule,
                disable_after=self.config.disable_after,
                unit=random.random(),  # noqa: S311 - jitter, not a secret
            )
        return True
