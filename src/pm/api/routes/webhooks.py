"""/webhooks: subscriptions, their deliveries, replays and test pings."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from pm.api import pagination
from pm.api.context import context
from pm.api.dtos.common import Limit
from pm.api.dtos.webhooks import CreateWebhook, UpdateWebhook
from pm.api.errors import RESPONSES
from pm.api.pagination import Page
from pm.core import webhooks as rules
from pm.core.ids import random_bytes
from pm.service import webhooks as svc
from pm.service.uow import Reader

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=RESPONSES)


def _secret() -> str:
    return rules.new_secret(random_bytes(rules.SECRET_BYTES))


def _watch(request: Request) -> None:
    """Tell this process's dispatcher the tenant has (or may have new) subscriptions."""
    ctx = context(request)
    hook = ctx.services.webhooks_changed
    if hook is not None:
        hook(ctx.actor.tenant_id)


async def _check_target(request: Request, url: str) -> None:
    """Refuse (422) a URL whose host resolves to an address webhooks may not reach."""
    check = context(request).services.webhook_target
    if check is not None:
        await check(url)


@router.post(
    "", status_code=201, response_model=svc.WebhookWithSecret, summary="Subscribe to events"
)
async def create_webhook(request: Request, body: CreateWebhook) -> Response:
    """Deliver the events committed from now on; the secret is shown this once."""
    ctx = context(request)
    await _check_target(request, body.url)
    new = svc.NewWebhook(body.url, list(body.event_types), body.project_id, body.description)
    secret = _secret()
    response = await ctx.write(lambda uow: svc.create_webhook(uow, new, secret), 201)
    _watch(request)
    return response


@router.get("", response_model=Page[svc.WebhookView], summary="List webhook subscriptions")
async def list_webhooks(
    request: Request, cursor: str | None = None, limit: Limit = pagination.DEFAULT_LIMIT
) -> Response:
    """The subscriptions you manage (all of the tenant's for tenant admins), by id."""
    return await context(request).page(svc.list_webhooks, cursor, limit, lambda w: w.id, "")


@router.get("/{webhook_id}", response_model=svc.WebhookView, summary="Get a subscription")
async def get_webhook(request: Request, webhook_id: str) -> Response:
    """One subscription (without its secret)."""
    ctx = context(request)
    return await ctx.respond(lambda r: svc.get_webhook(r, webhook_id))


@router.patch("/{webhook_id}", response_model=svc.WebhookView, summary="Update a subscription")
async def update_webhook(request: Request, webhook_id: str, body: UpdateWebhook) -> Response:
    """Change the URL, types or description; enable or disable deliveries."""
    ctx = context(request)
    if isinstance(body.url, str):
        await _check_target(request, body.url)
    response = await ctx.update(
        body, lambda uow, patch, version: svc.update_webhook(uow, webhook_id, patch, version)
    )
    _watch(request)
    return response


@router.delete(
    "/{webhook_id}", status_code=204, response_class=Response, summary="Delete a subscription"
)
async def delete_webhook(request: Request, webhook_id: str) -> Response:
    """Stop delivering to it (deliveries not yet made are dropped)."""
    ctx = context(request)
    return await ctx.write(lambda uow: svc.delete_webhook(uow, webhook_id), 204)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=svc.WebhookWithSecret,
    summary="Rotate the signing secret",
)
async def rotate_secret(request: Request, webhook_id: str) -> Response:
    """A new secret (shown this once); the old one keeps signing beside it for 24 hours."""
    ctx = context(request)
    secret = _secret()
    return await ctx.write(lambda uow: svc.rotate_secret(uow, webhook_id, secret))


@router.post(
    "/{webhook_id}/test",
    status_code=202,
    response_model=svc.DeliveryView,
    summary="Send a webhook.test ping",
)
async def send_test(request: Request, webhook_id: str) -> Response:
    """Queue a `webhook.test` delivery, sent before any waiting event."""
    ctx = context(request)
    response = await ctx.write(lambda uow: svc.send_test(uow, webhook_id), 202)
    _watch(request)
    return response


@router.get(
    "/{webhook_id}/deliveries",
    response_model=Page[svc.DeliveryView],
    summary="List a subscription's deliveries",
)
async def list_deliveries(
    request: Request,
    webhook_id: str,
    cursor: str | None = None,
    limit: Limit = pagination.DEFAULT_LIMIT,
) -> Response:
    """Newest first: each event, its status, and every attempt (time, status code, latency,
    the first KiB of the answer)."""

    async def fetch(reader: Reader, before: str, size: int) -> list[svc.DeliveryView]:
        return await svc.list_deliveries(reader, webhook_id, before, size)

    return await context(request).page(fetch, cursor, limit, lambda d: d.id, "~")


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    status_code=202,
    response_model=svc.DeliveryView,
    summary="Send a delivery again",
)
async def replay(request: Request, webhook_id: str, delivery_id: str) -> Response:
    """Queue the delivery again as a new attempt (the same webhook-id)."""
    ctx = context(request)
    response = await ctx.write(lambda uow: svc.replay(uow, webhook_id, delivery_id), 202)
    _watch(request)
    return response
