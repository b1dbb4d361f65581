"""pm_webhooks, pm_webhook_deliveries, pm_webhook_attempts."""

from __future__ import annotations

from collections.abc import Sequence

from pm.core.webhooks import PENDING, Attempt, Delivery, Webhook
from pm.db.executor import Executor
from pm.db.query import sql
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(Webhook)
_row = mapper(Webhook, event_types=lambda text: tuple(text.split()), enabled=bool)
_delivery = mapper(Delivery)
_attempt = mapper(Attempt)
DELIVERY_COLS = columns(Delivery)
ATTEMPT_COLS = columns(Attempt)
_WRITE = (
    "url",
    "event_types",
    "project_id",
    "description",
    "enabled",
    "secret",
    "previous_secret",
    "previous_secret_until",
    "failing_since",
    "disabled_reason",
    "version",
    "updated_at",
    "updated_by",
    "deleted_at",
)

_GET = sql(f"SELECT {COLS} FROM pm_webhooks WHERE id = :id AND deleted_at IS NULL")
_LIST = sql(
    f"SELECT {COLS} FROM pm_webhooks WHERE deleted_at IS NULL AND id > :after "
    "ORDER BY id LIMIT :limit"
)
_ENABLED = sql(f"SELECT {COLS} FROM pm_webhooks WHERE deleted_at IS NULL AND enabled = :yes")
_INSERT = insert_query("pm_webhooks", Webhook)
_UPDATE = update_query("pm_webhooks", _WRITE)
# Compare-and-set: of two processes that read the same place, only one moves it on.
_CURSOR = sql(
    "UPDATE pm_webhooks SET cursor_seq = :seq WHERE id = :id AND cursor_seq = :was AND :was < :seq"
)

_D_INSERT = insert_query("pm_webhook_deliveries", Delivery)
_D_GET = sql(f"SELECT {DELIVERY_COLS} FROM pm_webhook_deliveries WHERE id = :id")
# The oldest pending deliveries go first (test pings, without a seq, before events).
_D_PENDING = sql(
    f"SELECT {DELIVERY_COLS} FROM pm_webhook_deliveries WHERE webhook_id = :webhook_id "
    "AND status = :pending ORDER BY coalesce(seq, 0), id LIMIT :limit"
)
_D_LIST = sql(
    f"SELECT {DELIVERY_COLS} FROM pm_webhook_deliveries WHERE webhook_id = :webhook_id "
    "AND id < :before ORDER BY id DESC LIMIT :limit"
)
# A lease is taken only if nobody holds a live one: one sender per delivery, across processes.
_D_LEASE = sql(
    "UPDATE pm_webhook_deliveries SET lease_until = :until WHERE id = :id "
    "AND status = :pending AND (lease_until IS NULL OR lease_until < :now)"
)
_D_RELEASE = sql(
    "UPDATE pm_webhook_deliveries SET lease_until = NULL WHERE id = :id AND status = :pending"
)
_D_UPDATE_FIELDS = (
    "status",
    "attempts",
    "next_attempt_at",
    "lease_until",
    "last_status_code",
    "updated_at",
)
_D_UPDATE = update_query("pm_webhook_deliveries", _D_UPDATE_FIELDS)
_A_INSERT = insert_query("pm_webhook_attempts", Attempt)
_A_FOR = sql(f"SELECT {ATTEMPT_COLS} FROM pm_webhook_attempts WHERE delivery_id = :id ORDER BY id")


def _bind(webhook: Webhook) -> dict[str, object]:
    values = dict(params(webhook))
    values["event_types"] = " ".join(webhook.event_types)
    return values


async def get(ex: Executor, webhook_id: str) -> Webhook | None:
    """A live subscription by id."""
    row = await ex.one(_GET, {"id": webhook_id})
    return None if row is None else _row(row)


async def page(ex: Executor, after: str, limit: int) -> list[Webhook]:
    """Live subscriptions by id, after the cursor."""
    return [_row(r) for r in await ex.all(_LIST, {"after": after, "limit": limit})]


async def enabled(ex: Executor) -> list[Webhook]:
    """Every live, enabled subscription."""
    return [_row(r) for r in await ex.all(_ENABLED, {"yes": True})]


async def insert(ex: Executor, webhook: Webhook) -> None:
    """Store a new subscription."""
    await ex.run(_INSERT.full, _bind(webhook))


async def update(ex: Executor, webhook: Webhook) -> None:
    """Store a changed subscription."""
    values = _bind(webhook)
    await ex.run(_UPDATE, {n: values[n] for n in (*_WRITE, "id")})


async def advance(ex: Executor, webhook_id: str, was: int, seq: int) -> bool:
    """Move a subscription's place in the event stream from `was` forward to `seq`; False
    when it is no longer at `was` (another process moved it first)."""
    return await ex.run(_CURSOR, {"id": webhook_id, "was": was, "seq": seq}) == 1


async def insert_delivery(ex: Executor, delivery: Delivery) -> None:
    """Store a new delivery."""
    await ex.run(*_D_INSERT.one(delivery))


async def delivery(ex: Executor, delivery_id: str) -> Delivery | None:
    """A delivery by id."""
    row = await ex.one(_D_GET, {"id": delivery_id})
    return None if row is None else _delivery(row)


async def pending(ex: Executor, webhook_id: str, limit: int) -> list[Delivery]:
    """The subscription's next deliveries to send, in order (at most `limit`)."""
    bind = {"webhook_id": webhook_id, "pending": PENDING, "limit": limit}
    return [_delivery(r) for r in await ex.all(_D_PENDING, bind)]


async def deliveries(ex: Executor, webhook_id: str, before: str, limit: int) -> list[Delivery]:
    """A subscription's deliveries, newest first, before the cursor id."""
    rows = await ex.all(_D_LIST, {"webhook_id": webhook_id, "before": before, "limit": limit})
    return [_delivery(r) for r in rows]


async def lease(ex: Executor, delivery_id: str, now: int, until: int) -> bool:
    """Take the right to send a delivery until `until`; False if someone else holds it."""
    taken = await ex.run(
        _D_LEASE, {"id": delivery_id, "now": now, "until": until, "pending": PENDING}
    )
    return taken == 1


async def release(ex: Executor, delivery_id: str) -> None:
    """Give a pending delivery's lease back (it was leased but not sent)."""
    await ex.run(_D_RELEASE, {"id": delivery_id, "pending": PENDING})


async def save_delivery(ex: Executor, delivery: Delivery) -> None:
    """Store a delivery's new state."""
    await ex.run(_D_UPDATE, params(delivery, (*_D_UPDATE_FIELDS, "id")))


async def save_deliveries(ex: Executor, deliveries: Sequence[Delivery]) -> None:
    """Store several deliveries' new states (one statement, many rows)."""
    if deliveries:
        await ex.run_many(_D_UPDATE, [params(d, (*_D_UPDATE_FIELDS, "id")) for d in deliveries])


async def insert_attempts(ex: Executor, attempts: Sequence[Attempt]) -> None:
    """Record tries (one statement, many rows)."""
    if attempts:
        await ex.run_many(*_A_INSERT.many(attempts))


async def attempts_for(ex: Executor, delivery_ids: Sequence[str]) -> dict[str, list[Attempt]]:
    """Every attempt of these deliveries (a page of them), oldest first."""
    return {d: [_attempt(r) for r in await ex.all(_A_FOR, {"id": d})] for d in delivery_ids}
