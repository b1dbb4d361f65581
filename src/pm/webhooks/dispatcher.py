"""The delivery loop: which subscriptions have work, one sender per subscription at a time.

Each process runs one dispatcher. It learns of new events from the after-commit hook (its
own writes: at once) and by looking at every watched tenant each `poll_interval` (writes
of other workers and instances, due retries). Every delivery is leased in the database
before it is sent, so however many processes run, one attempt is made at a time; a
process killed mid-attempt leaves a lease that expires, and the delivery is sent again
(the same `webhook-id`: at least once). Sending is bounded per process (`concurrency`),
and a slow receiver only holds up its own subscription.

A subscription's due deliveries go in batches: one unit of work leases up to `batch` of
them, they are sent one after the other, and one unit of work records every attempt. The
sender shares the core with the requests, so it steps aside while they saturate the
process (`Pacer`): deliveries then move slowly and catch up once the load eases; with
spare time nothing waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import time
from collections.abc import Callable, Sequence

from pm.core.actor import Actor
from pm.core.errors import DomainError
from pm.core.records import record
from pm.core.webhooks import DEFAULT_SCHEDULE, Delivery
from pm.db.repos.events import StoredEvent
from pm.service import webhooks as svc
from pm.service.uow import Tenancy
from pm.webhooks.sender import Sender

log = logging.getLogger(__name__)
SYSTEM_USER = "system:webhooks"
LEASE_MARGIN = 5  # seconds a lease outlives the attempt's timeout (clock skew between hosts)
Busy = Callable[[], float]  # seconds with a request in progress, so far (CLOCK_MONOTONIC)


class Pacer:
    """Steps aside for requests: before an attempt, when requests were in progress for more
    than `saturated` of the last `window` seconds, wait `pause` seconds (each subscription
    then sends a few deliveries a second until the load eases); otherwise go at once."""

    def __init__(
        self, busy: Busy, *, window: float = 0.1, saturated: float = 0.8, pause: float = 0.1
    ) -> None:
        self.busy = busy
        self.window = window
        self.saturated = saturated
        self.pause = pause
        self._at = time.monotonic()
        self._busy_at = busy()
        self._share = 0.0

    def share(self) -> float:
        """The fraction of the last window (at least) that had a request in progress."""
        now = time.monotonic()
        if now - self._at >= self.window:
            busy = self.busy()
            self._share = (busy - self._busy_at) / (now - self._at)
            self._at, self._busy_at = now, busy
        return self._share

    async def turn(self) -> None:
        """Wait for this attempt's turn."""
        if self.share() > self.saturated:
            await asyncio.sleep(self.pause)


@record
class DispatchConfig:
    """How deliveries are scheduled."""

    schedule: tuple[int, ...] = DEFAULT_SCHEDULE
    disable_after: int = 120 * 3600
    concurrency: int = 16
    poll_interval: float = 1.0
    timeout: float = 15.0
    batch: int = 64  # deliveries of one subscription leased and recorded in one unit of work


class Dispatcher:
    """Finds due deliveries in watched tenants and sends them, in order per subscription."""

    def __init__(self, sender: Sender, config: DispatchConfig, busy: Busy | None = None) -> None:
        self._tenancy: Tenancy | None = None
        self._pacer = Pacer(busy) if busy is not None else None
        self.sender = sender
        self.config = config
        self._tenants: set[str] = set()
        self._dirty: set[str] = set()
        self._generation: dict[str, int] = {}
        self._hooks: dict[str, list[str]] = {}  # enabled subscriptions, as of the last look
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
        self._hooks.pop(tenant_id, None)  # look again
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
                sweep = now - last_sweep >= self.config.poll_interval
                if sweep:
                    last_sweep = now
                    due = set(self._tenants)
                else:
                    due = self._dirty & self._tenants
                self._dirty.clear()
                for tenant in due:
                    await self._start_tenant(tenant, fresh=sweep)
        finally:
            discovery.cancel()

    async def _start_tenant(self, tenant_id: str, fresh: bool) -> None:
        """Start a drain for every enabled subscription of the tenant not draining now. A
        new event alone does not re-read the subscriptions (the sweep and `watch` do)."""
        hooks = None if fresh else self._hooks.get(tenant_id)
        if hooks is None:
            try:
                async with self.tenancy.reading(self._actor(tenant_id)) as reader:
                    hooks = [webhook.id for webhook in await svc.enabled(reader)]
            except Exception:
                log.warning("cannot read webhooks", exc_info=True, extra={"tenant_id": tenant_id})
                return
            self._hooks[tenant_id] = hooks
        if not hooks:
            self._tenants.discard(tenant_id)
            self._hooks.pop(tenant_id, None)
            return
        loop = asyncio.get_running_loop()
        for webhook_id in hooks:
            key = (tenant_id, webhook_id)
            if key not in self._busy:
                task = loop.create_task(self._drain(tenant_id, webhook_id))
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
        """Send the subscription's next batch, in order; False when nothing is due or ours.

        The batch is leased for two timeouts (plus a margin for clock skew); sending stops
        before an attempt that could outlive the lease, at the first one not delivered (the
        next waits for its retry), or at the batch's end, and one unit of work records
        every attempt and gives the unsent leases back.
        """
        until = int(time.time() + 2 * self.config.timeout + LEASE_MARGIN)
        async with self.tenancy.unit_of_work(actor) as uow:
            found = await svc.next_batch(uow, webhook_id, self.config.batch, until)
        if found is None:
            return False
        webhook, batch = found
        sent: list[tuple[Delivery, svc.Outcome]] = []
        for delivery in batch:
            if self._pacer is not None:
                await self._pacer.turn()  # requests first
            if sent and time.time() + self.config.timeout + LEASE_MARGIN > until:
                break
            async with self._slots:
                outcome = await self.sender.send(webhook, delivery, int(time.time()))
            sent.append((delivery, outcome))
            if not outcome.delivered:
                break
        async with self.tenancy.unit_of_work(actor) as uow:  # cut before: the leases expire
            await svc.record_attempts(
                uow,
                webhook,
                sent,
                batch[len(sent) :],
                schedule=self.config.schedule,
                disable_after=self.config.disable_after,
                unit=random.random(),  # noqa: S311 - jitter, not a secret
            )
        return True
