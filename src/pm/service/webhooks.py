"""Webhook use cases: subscriptions (REST), and the delivery steps the dispatcher takes.

Project admins manage a project's subscriptions, tenant admins the tenant-wide ones (and
all others). A subscription starts at the stream's end: it receives the events committed
after it was created. Deliveries are made from the tenant's event stream in `seq` order,
one subscription at a time; their state lives in the tenant database, written in units
of work like every other change.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from collections.abc import Sequence
from dataclasses import replace
from typing import TypedDict
from urllib.parse import urlsplit

from pm.core import webhooks as rules
from pm.core.errors import Conflict, DomainError, InvalidInput, NotFound
from pm.core.ids import new_id
from pm.core.records import record
from pm.core.webhooks import DELIVERED, FAILED, PENDING, Attempt, Delivery, Webhook
from pm.db.repos import events as event_repo
from pm.db.repos import webhooks as repo
from pm.db.repos.events import StoredEvent
from pm.events.types import Event, EventKind
from pm.events.webhook_body import iso, webhook_data
from pm.service import access, lookups
from pm.service.access import ADMIN
from pm.service.uow import Reader, UnitOfWork

SCAN = 200  # events read per step when looking for the next one a subscription wants
RESOLVE_TIMEOUT = 3.0  # seconds a target's DNS lookup may take


@record
class WebhookView:
    """A subscription as the API shows it (its secret is shown once, at creation)."""

    id: str
    url: str
    event_types: list[str]
    project_id: str | None
    description: str | None
    enabled: bool
    failing_since: int | None
    disabled_reason: str | None
    version: int
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str


@record
class WebhookWithSecret:
    """A subscription with its signing secret (creation and rotation answers only)."""

    webhook: WebhookView
    secret: str
    previous_secret_expires_at: int | None = None


@record
class DeliveryView:
    """A delivery with every attempt made."""

    id: str
    webhook_id: str
    seq: int | None
    event_type: str
    status: str
    attempts: int
    next_attempt_at: int | None
    last_status_code: int | None
    created_at: int
    updated_at: int
    attempt_log: list[Attempt]


@record
class NewWebhook:
    """What a caller supplies to subscribe."""

    url: str
    event_types: list[str]
    project_id: str | None = None
    description: str | None = None


class WebhookPatch(TypedDict, total=False):
    """Fields an update may set."""

    url: str
    event_types: list[str]
    description: str | None
    enabled: bool


async def resolve(url: str, allow_private: bool) -> list[str]:
    """The addresses a subscription's URL resolves to, all checked (InvalidInput if refused)."""
    parts = urlsplit(rules.validate_url(url))
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        literal = [str(ipaddress.ip_address(host.strip("[]")))]  # nothing to look up
    except ValueError:
        pass
    else:
        rules.check_targets(literal, allow_private)
        return literal
    lookup = asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    try:
        infos = await asyncio.wait_for(lookup, RESOLVE_TIMEOUT)
    except socket.gaierror:
        raise InvalidInput(f"{host} does not resolve", field="url") from None
    except TimeoutError:
        raise InvalidInput(
            f"{host} did not resolve within {RESOLVE_TIMEOUT} s", field="url"
        ) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    rules.check_targets(addresses, allow_private)
    return addresses


def view(w: Webhook) -> WebhookView:
    """The API's view of a subscription."""
    return WebhookView(
        w.id,
        w.url,
        list(w.event_types),
        w.project_id,
        w.description,
        w.enabled,
        w.failing_since,
        w.disabled_reason,
        w.version,
        w.created_at,
        w.updated_at,
        w.created_by,
        w.updated_by,
    )


async def _manageable(reader: Reader, webhook: Webhook) -> None:
    if webhook.project_id is None:
        access.require_tenant_admin(reader, "a tenant-wide webhook")
    else:
        await access.require(reader, webhook.project_id, ADMIN)


async def _live(reader: Reader, webhook_id: str) -> Webhook:
    webhook = await repo.get(reader.ex, webhook_id)
    if webhook is None:
        raise NotFound("webhook", webhook_id)
    try:
        await _manageable(reader, webhook)
    except NotFound:
        raise NotFound("webhook", webhook_id) from None
    return webhook


async def create_webhook(uow: UnitOfWork, new: NewWebhook, secret: str) -> WebhookWithSecret:
    """Subscribe a URL to events of one project (its admins) or the whole tenant (admins)."""
    url = rules.validate_url(new.url)
    types = rules.validate_event_types(new.event_types)
    project_id = None
    if new.project_id is not None:
        project_id = (await lookups.project(uow, new.project_id, ADMIN)).id
    else:
        access.require_tenant_admin(uow, "a tenant-wide webhook")
    user, now = uow.actor.user_id, uow.now
    webhook = Webhook(
        new_id(),
        url,
        types,
        project_id,
        new.description,
        True,
        secret,
        None,
        None,
        await event_repo.last_seq(uow.ex),
        None,
        None,
        1,
        now,
        now,
        user,
        user,
        None,
    )
    await repo.insert(uow.ex, webhook)
    return WebhookWithSecret(view(webhook), secret)


async def get_webhook(reader: Reader, webhook_id: str) -> WebhookView:
    """One subscription."""
    return view(await _live(reader, webhook_id))


async def list_webhooks(reader: Reader, after: str, limit: int) -> list[WebhookView]:
    """The subscriptions the caller manages, by id."""
    found: list[WebhookView] = []
    while len(found) < limit:
        batch = await repo.page(reader.ex, after, limit)
        for webhook in batch:
            try:
                await _manageable(reader, webhook)
            except DomainError:
                continue
            found.append(view(webhook))
        if len(batch) < limit:
            break
        after = batch[-1].id
    return found[:limit]


async def update_webhook(
    uow: UnitOfWork, webhook_id: str, patch: WebhookPatch, expected_version: int | None
) -> WebhookView:
    """Change a subscription; re-enabling one clears its failure state."""
    current = await _live(uow, webhook_id)
    if expected_version is not None and expected_version != current.version:
        raise Conflict(
            f"webhook was changed by someone else: expected version {expected_version}, "
            f"current version is {current.version}",
            field="expected_version",
            current=view(current),
        )
    changed = current
    if "url" in patch:
        changed = replace(changed, url=rules.validate_url(patch["url"]))
    if "event_types" in patch:
        changed = replace(changed, event_types=rules.validate_event_types(patch["event_types"]))
    if "description" in patch:
        changed = replace(changed, description=patch["description"])
    if "enabled" in patch and patch["enabled"] != current.enabled:
        changed = replace(
            changed,
            enabled=patch["enabled"],
            failing_since=None,
            disabled_reason=None if patch["enabled"] else "disabled by a user",
        )
    if changed == current:
        return view(current)
    changed = replace(
        changed, version=current.version + 1, updated_at=uow.now, updated_by=uow.actor.user_id
    )
    await repo.update(uow.ex, changed)
    return view(changed)


async def delete_webhook(uow: UnitOfWork, webhook_id: str) -> None:
    """Remove a subscription (nothing more is sent to it)."""
    current = await _live(uow, webhook_id)
    now, user = uow.now, uow.actor.user_id
    await repo.update(
        uow.ex, replace(current, deleted_at=now, enabled=False, updated_at=now, updated_by=user)
    )


async def rotate_secret(uow: UnitOfWork, webhook_id: str, secret: str) -> WebhookWithSecret:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    current = await _live(uow, webhook_id)
    until = uow.now + rules.ROTATION_OVERLAP
    changed = replace(
        current,
        secret=secret,
        previous_secret=current.secret,
        previous_secret_until=until,
        version=current.version + 1,
        updated_at=uow.now,
        updated_by=uow.actor.user_id,
    )
    await repo.update(uow.ex, changed)
    return WebhookWithSecret(view(changed), secret, until)


async def list_deliveries(
    reader: Reader, webhook_id: str, before: str, limit: int
) -> list[DeliveryView]:
    """A subscription's deliveries, newest first, each with its attempts."""
    await _live(reader, webhook_id)
    rows = await repo.deliveries(reader.ex, webhook_id, before, limit)
    attempts = await repo.attempts_for(reader.ex, [d.id for d in rows])
    return [_delivery_view(d, attempts.get(d.id, [])) for d in rows]


def _delivery_view(d: Delivery, attempts: list[Attempt]) -> DeliveryView:
    next_at = d.next_attempt_at if d.status == PENDING else None
    return DeliveryView(
        d.id,
        d.webhook_id,
        d.seq,
        d.event_type,
        d.status,
        d.attempts,
        next_at,
        d.last_status_code,
        d.created_at,
        d.updated_at,
        attempts,
    )


async def replay(uow: UnitOfWork, webhook_id: str, delivery_id: str) -> DeliveryView:
    """Send a delivery again, as a new attempt, as soon as possible."""
    await _live(uow, webhook_id)
    found = await repo.delivery(uow.ex, delivery_id)
    if found is None or found.webhook_id != webhook_id:
        raise NotFound("delivery", delivery_id)
    if found.status == PENDING:
        raise InvalidInput("the delivery is still being sent; wait for it", field="delivery_id")
    again = replace(
        found, status=PENDING, next_attempt_at=uow.now, lease_until=None, updated_at=uow.now
    )
    await repo.save_delivery(uow.ex, again)
    return _delivery_view(again, [])


async def send_test(uow: UnitOfWork, webhook_id: str) -> DeliveryView:
    """Queue a `webhook.test` ping (sent before any waiting event)."""
    webhook = await _live(uow, webhook_id)
    body = {
        "type": rules.TEST_TYPE,
        "timestamp": iso(uow.now),
        "data": {"webhook_id": webhook.id, "tenant_id": uow.actor.tenant_id},
    }
    delivery = Delivery(
        new_id(),
        webhook.id,
        None,
        rules.TEST_TYPE,
        json.dumps(body),
        PENDING,
        0,
        uow.now,
        None,
        None,
        uow.now,
        uow.now,
    )
    await repo.insert_delivery(uow.ex, delivery)
    return _delivery_view(delivery, [])


# ---------------------------------------------------------------------------------------
# The dispatcher's steps (it acts as the system, not as a user)
# ---------------------------------------------------------------------------------------


async def enabled(reader: Reader) -> list[Webhook]:
    """Every enabled subscription of the tenant."""
    return await repo.enabled(reader.ex)


def _due(delivery: Delivery, now: int) -> bool:
    """Whether a pending delivery may be sent now (its retry is due, nobody holds it)."""
    leased = delivery.lease_until is not None and delivery.lease_until >= now
    return delivery.next_attempt_at <= now and not leased


async def next_batch(
    uow: UnitOfWork, webhook_id: str, limit: int, until: int
) -> tuple[Webhook, list[Delivery]] | None:
    """The subscription's next deliveries, in order, leased to the caller until `until`.

    The pending ones first, stopping at one that is not due or that another process holds
    (nothing after it may go before it); when every pending one is taken and there is room,
    new ones are made from the next events the subscription wants, its place in the stream
    moved past them (and past the events it does not want) by compare-and-set, so two
    processes never make the same delivery. One unit of work for the whole batch: the
    bookkeeping of a busy subscription costs two transactions per batch, not per event.
    """
    webhook = await repo.get(uow.ex, webhook_id)
    if webhook is None or not webhook.enabled:
        return None
    now = uow.now
    waiting = await repo.pending(uow.ex, webhook_id, limit + 1)
    batch: list[Delivery] = []
    for delivery in waiting[:limit]:
        if not _due(delivery, now) or not await repo.lease(uow.ex, delivery.id, now, until):
            break
        batch.append(replace(delivery, lease_until=until))
    if len(batch) == len(waiting) and len(batch) < limit:
        batch += await _from_events(uow, webhook, limit - len(batch), until)
    return (webhook, batch) if batch else None


# The message of an event is the same for every subscription: made once per process while
# the event is recent. Keyed by the event's encoded body too (a tenant made again from
# nothing, as tests do, reuses seqs).
_MESSAGES: dict[tuple[str, int, str, bytes], str] = {}
MESSAGE_CACHE = 4096


def _message(tenant: str, event_type: str, event: StoredEvent) -> str:
    """The JSON body of the webhook message for an event."""
    key = (tenant, event.seq, event.kind, event.body)
    message = _MESSAGES.get(key)
    if message is None:
        data = {**webhook_data(event.kind, event.body), "seq": event.seq, "tenant_id": tenant}
        when = iso(event.created_at)
        message = json.dumps({"type": event_type, "timestamp": when, "data": data})
        if len(_MESSAGES) >= MESSAGE_CACHE:
            del _MESSAGES[next(iter(_MESSAGES))]  # the oldest made
        _MESSAGES[key] = message
    return message


async def _from_events(uow: UnitOfWork, webhook: Webhook, room: int, until: int) -> list[Delivery]:
    """Up to `room` new deliveries (leased) from the events after the subscription's place."""
    tenant = uow.actor.tenant_id
    events = await event_repo.since(uow.ex, webhook.cursor_seq, SCAN)
    made: list[Delivery] = []
    place = webhook.cursor_seq
    for event in events:
        if len(made) == room:
            break
        place = event.seq
        event_type = rules.EVENT_TYPES.get(event.kind)
        if event_type is None or not rules.matches(webhook, event_type, event.project_id):
            continue
        body = _message(tenant, event_type, event)
        made.append(
            Delivery(
                new_id(),
                webhook.id,
                event.seq,
                event_type,
                body,
                PENDING,
                0,
                uow.now,
                until,
                None,
                uow.now,
                uow.now,
            )
        )
    if place == webhook.cursor_seq or not await repo.advance(
        uow.ex, webhook.id, webhook.cursor_seq, place
    ):
        return []  # nothing new, or another process made these deliveries first
    for delivery in made:
        await repo.insert_delivery(uow.ex, delivery)
    return made


@record
class Outcome:
    """What one attempt came to."""

    status_code: int | None
    latency_ms: int
    excerpt: str | None
    error: str | None
    retry_after: int | None = None  # seconds the receiver asked for (429/503)

    @property
    def delivered(self) -> bool:
        """A 2xx answer: the receiver has it."""
        return self.status_code is not None and 200 <= self.status_code < 300


def _after(
    delivery: Delivery, outcome: Outcome, now: int, schedule: tuple[int, ...], unit: float
) -> Delivery:
    """A delivery after one attempt: delivered, a retry later, or failed for good."""
    attempts = delivery.attempts + 1
    code = outcome.status_code
    if outcome.delivered:
        status, next_at = DELIVERED, delivery.next_attempt_at
    else:
        delay = rules.retry_delay(attempts, schedule, unit)
        if delay is not None and outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        status = PENDING if delay is not None and code != 410 else FAILED
        next_at = now + (delay or 0)
    return replace(
        delivery,
        status=status,
        attempts=attempts,
        next_attempt_at=next_at,
        lease_until=None,
        last_status_code=code,
        updated_at=now,
    )


async def record_attempts(
    uow: UnitOfWork,
    webhook: Webhook,
    sent: Sequence[tuple[Delivery, Outcome]],
    unsent: Sequence[Delivery],
    *,
    schedule: tuple[int, ...],
    disable_after: int,
    unit: float,
) -> None:
    """Store a batch's attempts (in order) and what follows: each delivery delivered, a
    retry later or failed; the subscription failing since when, or disabled; the leases of
    what was not sent given back. Only a batch's last attempt can have failed (sending
    stops there)."""
    now = uow.now
    attempts = [
        Attempt(
            new_id(), d.id, now, o.status_code, o.latency_ms, o.excerpt, o.error
        )
        for d, o in sent
    ]  # fmt: skip
    await repo.insert_attempts(uow.ex, attempts)
    await repo.save_deliveries(uow.ex, [_after(d, o, now, schedule, unit) for d, o in sent])
    for delivery in unsent:
        await repo.release(uow.ex, delivery.id)
    if not sent:
        return
    current = await repo.get(uow.ex, webhook.id) or webhook  # as it is now, not as it was
    last = sent[-1][1]
    if last.delivered:
        if current.failing_since is not None:
            await repo.update(uow.ex, replace(current, failing_since=None))
        return
    recovered = any(o.delivered for _, o in sent)
    failing_since = now if recovered or current.failing_since is None else current.failing_since
    reason = None
    if last.status_code == 410:
        reason = "the receiver answered 410 Gone"
    elif now - failing_since >= disable_after:
        reason = f"deliveries have failed for {disable_after // 3600} hours"
    if reason is not None:
        failing = replace(current, failing_since=failing_since)
        _disable(uow, failing, reason)
        await repo.update(
            uow.ex,
            replace(failing, enabled=False, disabled_reason=reason, updated_at=now),
        )
    elif current.failing_since != failing_since:
        await repo.update(uow.ex, replace(current, failing_since=failing_since))


def _disable(uow: UnitOfWork, webhook: Webhook, reason: str) -> None:
    uow.emit(
        Event(
            EventKind.WEBHOOK_DISABLED,
            uow.actor.user_id,
            webhook.id,
            webhook.project_id,
            webhook,
            extra={"reason": reason},
        )
    )
