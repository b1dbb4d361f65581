"""The application factory: create_app(settings) builds a complete, independent ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import pkgutil
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import ModuleType
from typing import Protocol

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from pm.api import errors, routes
from pm.api.context import Services
from pm.api.fastroute import mount
from pm.api.inflight import InFlight
from pm.api.metrics import MetricsRoute
from pm.api.middleware import AuthMiddleware, RequestContextMiddleware
from pm.api.openapi import declare_bearer, describe_path_parameters, document_problems
from pm.api.ratelimit import RateLimiter
from pm.api.routes import health
from pm.api.stack import LeanFastAPI
from pm.auth.host import Authenticate, HostAuthenticator
from pm.auth.jwt import JwtConfig, TokenVerifier
from pm.auth.secrets import load_or_create_secret
from pm.db.store import TenantManager
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.events.follower import DataVersionPoller, Follower
from pm.events.hub import Hub
from pm.metrics import Metrics
from pm.server import board, webhooks
from pm.server.frameworks import check_frameworks
from pm.server.gcfreeze import FreezePolicy
from pm.server.mcp import McpEndpoint
from pm.server.observe import build_metrics, counting, sampling
from pm.server.plugin import EventHook, with_event_hook
from pm.server.settings import Settings, load_settings
from pm.server.version import version
from pm.service.uow import Publisher, Tenancy
from pm.webhooks.dispatcher import Dispatcher
from pm.ws.context import WsServices
from pm.ws.endpoint import WsRuntime, websocket_endpoint
from pm.ws.limits import WsLimits
from pm.ws.registry import ConnectionRegistry


class Broadcaster(Protocol):
    """The background work of a broadcast (pm.events.broadcast.RedisBroadcast)."""

    def start(self) -> None:
        """Start (from a running loop)."""

    async def close(self) -> None:
        """Stop."""


API_PREFIX = "/api/v1"
READY_TENANT = "default"
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
# How often a worker checks whether another worker committed to a followed tenant (seconds).
WORKER_POLL_INTERVAL = 0.005


def jwt_config(settings: Settings) -> JwtConfig:
    """The token configuration; with no JWT_SECRET, a generated one kept under DB_PATH."""
    if settings.jwt_algorithm.startswith("HS"):
        secret = (
            settings.jwt_secret.get_secret_value()
            if settings.jwt_secret
            else load_or_create_secret(settings.db_path)
        )
        minimum = {"HS256": 32, "HS384": 48, "HS512": 64}[settings.jwt_algorithm]
        if len(secret.encode()) < minimum:
            raise ValueError(
                f"JWT_SECRET must be at least {minimum} bytes for {settings.jwt_algorithm}"
            )
        key = secret
    else:
        if not settings.jwt_public_key:
            raise ValueError(f"JWT_PUBLIC_KEY is required for {settings.jwt_algorithm}")
        key = settings.jwt_public_key
    private = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    return JwtConfig(
        key,
        settings.jwt_algorithm,
        settings.jwt_audience,
        settings.jwt_issuer,
        private,
        roles_claim=settings.jwt_roles_claim,
        tenant_admin_role=settings.tenant_admin_role,
    )


def storage_config(
    settings: Settings, on_commit_batch: Callable[[int], None] | None = None
) -> StorageConfig:
    """Where and how tenant databases are kept (and who is told each commit's size)."""
    return StorageConfig(
        base_path=settings.db_path,
        max_open=settings.tenant_cache_size,
        auto_create=settings.tenant_auto_create,
        busy_timeout=settings.sqlite_busy_timeout,
        synchronous=settings.sqlite_synchronous,
        on_commit_batch=on_commit_batch,
    )


def tenant_manager(
    settings: Settings, on_commit_batch: Callable[[int], None] | None = None
) -> TenantManager:
    """The storage engine the settings choose: PostgreSQL with DATABASE_URL, else SQLite
    (`on_commit_batch` learns each commit's number of units, on either)."""
    if settings.database_url is not None:
        from pm.db.pgtenants import PostgresTenantManager
        from pm.db.postgres import PostgresConfig

        return PostgresTenantManager(
            PostgresConfig(
                url=settings.database_url.get_secret_value(),
                pool_size=settings.database_pool_size,
                connect_timeout=settings.database_connect_timeout,
                timeout=settings.database_timeout,
                max_open=settings.tenant_cache_size,
                auto_create=settings.tenant_auto_create,
            ),
            on_commit_batch,
        )
    return TenantConnectionManager(storage_config(settings, on_commit_batch))


def ws_limits(settings: Settings) -> WsLimits:
    """The WebSocket endpoint's limits."""
    return WsLimits(
        max_frame_bytes=settings.ws_max_frame_bytes,
        max_subscriptions=settings.ws_max_subscriptions,
        max_connections_per_user=settings.ws_max_connections_per_user,
        max_connections_per_tenant=settings.ws_max_connections_per_tenant,
        rate_per_second=settings.ws_rate_per_second,
        rate_burst=settings.ws_rate_burst,
        send_queue=settings.ws_send_queue,
        max_replay=settings.ws_max_replay,
    )


# Routes are matched one by one, so the busiest routers go first (work items before all);
# every other module of `pm.api.routes` follows, alphabetically.
BUSIEST_FIRST = (
    "work_items",
    "projects",
    "comments",
    "time_entries",
    "dependencies",
    "sprints",
    "swim_lanes",
    "activity",
    "llm_context",
)
UNPREFIXED = frozenset({"health"})  # mounted at the root, not under API_PREFIX


def api_routers() -> tuple[ModuleType, ...]:
    """Every router module of `pm.api.routes` mounted under API_PREFIX, in matching order.

    Derived from the package, so a new module cannot be forgotten; each must define `router`.
    """
    names = {module.name for module in pkgutil.iter_modules(routes.__path__)} - UNPREFIXED
    missing = set(BUSIEST_FIRST) - names
    if missing:
        raise ValueError(f"BUSIEST_FIRST names no module of pm.api.routes: {sorted(missing)}")
    rank = {name: i for i, name in enumerate(BUSIEST_FIRST)}
    ordered = sorted(names, key=lambda name: (rank.get(name, len(rank)), name))
    modules = tuple(importlib.import_module(f"{routes.__name__}.{name}") for name in ordered)
    for module in modules:
        if not isinstance(getattr(module, "router", None), APIRouter):
            raise TypeError(f"{module.__name__} defines no APIRouter named router")
    return modules


def create_app(
    settings: Settings | None = None,
    *,
    connection_manager: TenantManager | None = None,
    authenticate: Authenticate | None = None,
    on_event: EventHook | None = None,
    verifier: TokenVerifier | None = None,
    publish: Publisher | None = None,
) -> FastAPI:
    """Build the app (settings from the environment when not given).

    A host platform mounting it (plugin mode, docs/deployment.md) may hand in its tenant
    connection manager, its own authentication (`authenticate`, instead of our JWTs) and a
    hook that receives every committed event (`on_event`). `verifier` and `publish` replace
    the JWT check and the in-process fan-out (tests, other transports). Raises
    `UnsupportedFramework` (a ValueError) on FastAPI/Starlette versions pm does not support.
    """
    check_frameworks()
    settings = settings if settings is not None else load_settings()
    host = (
        HostAuthenticator(authenticate, settings.tenant_admin_role)
        if authenticate is not None
        else None
    )
    if host is None and verifier is None:
        verifier = TokenVerifier(jwt_config(settings))
    hub = Hub()
    metrics = build_metrics(hub) if settings.metrics_enabled else None
    manager = connection_manager or tenant_manager(
        settings, on_commit_batch=metrics.commit_batch.observe if metrics else None
    )
    heap = FreezePolicy()
    follower = Follower(hub, manager)
    # With several workers on one database, each learns of the others' commits by polling.
    poller = DataVersionPoller(follower, WORKER_POLL_INTERVAL) if settings.workers > 1 else None
    inflight = InFlight()  # webhook sending steps aside while requests keep it busy
    deliveries = webhooks.dispatcher(settings, inflight.busy)
    fan_out = publish or follower.offer
    if metrics is not None:
        metrics.gauge_from(metrics.open_tenants, lambda: manager.open_count)
        fan_out = counting(fan_out, metrics)
    if on_event is not None:
        fan_out = with_event_hook(fan_out, on_event)
    # With BROADCAST_URL, instances (on any machine) tell each other over Redis pub/sub.
    broadcast: Broadcaster | None = None
    if settings.broadcast_url:
        from pm.events.broadcast import RedisBroadcast  # redis is imported only when used

        broadcast = RedisBroadcast(follower, settings.broadcast_url)
    tenancy = Tenancy(
        manager,
        webhooks.fan_out(fan_out, deliveries.notify),
        event_retention=settings.event_retention_hours * 3600,
        idempotency_ttl=settings.idempotency_ttl_hours * 3600,
    )
    deliveries.bind(tenancy)
    services = Services(
        tenancy=tenancy,
        webhooks_changed=deliveries.watch,
        webhook_target=webhooks.target_check(settings),
        verifier=verifier,
        limiter=RateLimiter(
            settings.rate_limit_user_per_second,
            settings.rate_limit_user_burst,
            settings.rate_limit_tenant_per_second,
            settings.rate_limit_tenant_burst,
        ),
        import_max_bytes=settings.import_max_bytes,
    )
    mcp: McpEndpoint | None = None
    app = LeanFastAPI(
        title="pm — agile project management backend",
        version=version(),
        summary="Projects, epics, stories, tasks, sprints, swim lanes, comments, time "
        "tracking, dependencies and an audit trail, per tenant.",
        lifespan=_lifespan(
            manager,
            follower,
            poller,
            metrics,
            broadcast,
            owns_manager=connection_manager is None,
            mcp=lambda: mcp,
            heap=heap,
            deliveries=deliveries,
        ),
        telemetry=None if settings.otel_enabled else _NO_TELEMETRY,
        exception_telemetry=settings.otel_enabled,
    )
    app.state.services = services
    app.state.ws_runtime = _ws_runtime(settings, services, hub, heap, host, metrics)
    app.state.metrics = metrics
    app.state.metrics_token = (
        settings.metrics_token.get_secret_value() if settings.metrics_token else None
    )
    app.state.hub = hub
    app.state.settings = settings
    app.state.ready_tenant = READY_TENANT
    errors.install(app)
    _install_routes(app, metrics is not None)
    _install_middleware(app, settings, services, host, metrics, inflight)
    mcp = McpEndpoint(app, services, read_only=settings.mcp_read_only, version=version(), host=host)
    app.router.routes.append(Route("/mcp", mcp, include_in_schema=False))
    app.router.routes.extend(board.routes())  # after every other route: never in their way
    return app


def _lifespan(
    manager: TenantManager,
    follower: Follower,
    poller: DataVersionPoller | None,
    metrics: Metrics | None,
    broadcast: Broadcaster | None,
    owns_manager: bool,
    mcp: Callable[[], McpEndpoint | None],
    heap: FreezePolicy,
    deliveries: Dispatcher,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        manager.start()
        heap.start()
        reclaimer = asyncio.create_task(heap.run(), name="gc-reclaim")
        if poller is not None:
            poller.start()
        deliveries.start()
        if broadcast is not None:
            broadcast.start()
        try:
            endpoint = mcp()
            async with (
                endpoint.running() if endpoint else contextlib.nullcontext(),
                sampling(metrics),
            ):
                yield
        finally:
            await deliveries.stop()
            reclaimer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reclaimer
            if poller is not None:
                await poller.close()
            if broadcast is not None:
                await broadcast.close()
            await follower.close()
            if owns_manager:
                await manager.close()

    return lifespan


def _ws_runtime(
    settings: Settings,
    services: Services,
    hub: Hub,
    heap: FreezePolicy,
    host: HostAuthenticator | None,
    metrics: Metrics | None,
) -> WsRuntime:
    limits = ws_limits(settings)
    return WsRuntime(
        services=WsServices(services.tenancy),
        verifier=services.verifier,
        hub=hub,
        registry=ConnectionRegistry(limits),
        limits=limits,
        allowed_origins=frozenset(settings.cors_origins),
        http_error=errors.domain_error_response,
        heap=heap,
        host=host,
        metrics=metrics,
    )


def _install_routes(app: FastAPI, with_metrics: bool) -> None:
    mount(health.router, app.router, "")
    for module in api_routers():
        mount(module.router, app.router, API_PREFIX)
    public = [route.path for route in health.router.routes if isinstance(route, APIRoute)]
    declare_bearer(app, public_paths=public)
    document_problems(app)
    describe_path_parameters(app)
    app.router.routes.append(WebSocketRoute("/ws", websocket_endpoint))
    if with_metrics:
        app.router.routes.append(MetricsRoute())
    # Routes are matched one by one, in order: the API's (busiest first) go before the
    # documentation and health routes FastAPI and we added first. Their paths never overlap,
    # and the stable sort keeps the API routes' own order (literal paths before templates).
    app.router.routes.sort(key=lambda route: not getattr(route, "path", "").startswith(API_PREFIX))


def _install_middleware(
    app: FastAPI,
    settings: Settings,
    services: Services,
    host: HostAuthenticator | None,
    metrics: Metrics | None,
    inflight: InFlight,
) -> None:
    # Middleware added later wraps what came before: request id → CORS → auth → routes.
    app.add_middleware(
        AuthMiddleware, prefix=API_PREFIX, services=services, host=host, metrics=metrics
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        # The import route reads its body as a stream, under a limit of its own.
        streamed={f"{API_PREFIX}/sync/import": settings.import_max_bytes},
        metrics=metrics,
        inflight=inflight,
    )
