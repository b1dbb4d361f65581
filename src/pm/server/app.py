"""The application factory: create_app(settings) builds a complete, independent ASGI app."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from pm.api import errors
from pm.api.deps import Services
from pm.api.middleware import RequestContextMiddleware
from pm.api.routes import health, projects, work_items
from pm.auth.jwt import JwtConfig, TokenVerifier
from pm.auth.secrets import load_or_create_secret
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.server.settings import Settings
from pm.service.uow import Publisher, Tenancy

API_PREFIX = "/api/v1"
READY_TENANT = "default"


def jwt_config(settings: Settings) -> JwtConfig:
    """The token configuration; with no JWT_SECRET, a generated one kept under DB_PATH."""
    if settings.jwt_algorithm.startswith("HS"):
        secret = (
            settings.jwt_secret.get_secret_value()
            if settings.jwt_secret
            else load_or_create_secret(settings.db_path)
        )
        key = secret
    else:
        if not settings.jwt_public_key:
            raise ValueError(f"JWT_PUBLIC_KEY is required for {settings.jwt_algorithm}")
        key = settings.jwt_public_key
    private = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    return JwtConfig(
        key, settings.jwt_algorithm, settings.jwt_audience, settings.jwt_issuer, private
    )


def storage_config(settings: Settings) -> StorageConfig:
    """Where and how tenant databases are kept."""
    return StorageConfig(
        base_path=settings.db_path,
        max_open=settings.tenant_cache_size,
        auto_create=settings.tenant_auto_create,
        busy_timeout=settings.sqlite_busy_timeout,
        synchronous=settings.sqlite_synchronous,
    )


def create_app(
    settings: Settings,
    *,
    connection_manager: TenantConnectionManager | None = None,
    verifier: TokenVerifier | None = None,
    publish: Publisher | None = None,
) -> FastAPI:
    """Build the app; a host platform may pass its own connection manager, verifier, publisher."""
    manager = connection_manager or TenantConnectionManager(storage_config(settings))
    tenancy = Tenancy(manager, publish)
    services = Services(
        tenancy=tenancy,
        verifier=verifier or TokenVerifier(jwt_config(settings)),
        idempotency_ttl=settings.idempotency_ttl_hours * 3600,
    )
    owns_manager = connection_manager is None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        manager.start()
        # Objects alive after start-up live for the whole process: keep them out of the
        # cyclic collector so full collections stay short.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            if owns_manager:
                await manager.close()

    app = FastAPI(
        title="pm — agile project management backend",
        version="0.1.0",
        summary="Projects, epics, stories, tasks, sprints, swim lanes, comments, time "
        "tracking, dependencies and an audit trail, per tenant.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.settings = settings
    app.state.ready_tenant = READY_TENANT
    errors.install(app)
    app.include_router(health.router)
    for module in (projects, work_items):
        app.include_router(module.router, prefix=API_PREFIX)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app
