"""HTTP-level behaviour: problem+json everywhere, request ids, body limit, lock contention."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import APIRouter
from starlette.types import ASGIApp

from pm.api.fastroute import FastRoute
from pm.db.postgres import lock_key
from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import bearer
from tests.helpers import API, create_project
from tests.tenantdb import TenantDb


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    made = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


async def test_unknown_route_and_method_are_problem_json(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{API}/nothing-here", headers=bearer())
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["code"] == "NOT_FOUND"
    wrong = await client.delete(f"{API}/projects", headers=bearer())
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_body_over_one_mebibyte_is_413(client: httpx.AsyncClient) -> None:
    big = {"key": "BIG", "title": "x", "description": "y" * (1024 * 1024)}
    response = await client.post(f"{API}/projects", json=big, headers=bearer())
    assert response.status_code == 413
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def chunks() -> object:
        for _ in range(20):
            yield b"x" * 65536

    streamed = await client.post(
        f"{API}/projects",
        content=chunks(),  # type: ignore[arg-type]
        headers={**bearer(), "content-type": "application/json"},
    )
    assert streamed.status_code == 413
    assert (await client.get(f"{API}/projects", headers=bearer())).json()["items"] == []


async def test_malformed_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/projects",
        content=b"{not json",
        headers={**bearer(), "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "VALIDATION_ERROR"


@contextmanager
def write_lock_held_elsewhere(db: TenantDb) -> Iterator[None]:
    """Another process holds the acme tenant's write lock (SQLite's, or PostgreSQL's
    advisory lock of the tenant)."""
    if db.database_url is None:
        outsider = sqlite3.connect(db.path(), isolation_level=None)
        outsider.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            outsider.execute("ROLLBACK")
            outsider.close()
        return
    import psycopg

    with psycopg.connect(db.database_url, autocommit=True) as outsider:
        outsider.execute("SELECT pg_advisory_lock(%s)", (lock_key("acme"),))
        yield


async def test_write_lock_held_elsewhere_answers_503_with_retry_after(
    settings: Settings, db: TenantDb
) -> None:
    quick = settings.model_copy(update={"sqlite_busy_timeout": 0.2, "database_timeout": 0.5})
    app = create_app(quick)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await create_project(client, bearer())
            with write_lock_held_elsewhere(db):
                writes = [
                    client.post(
                        f"{API}/projects", json={"key": f"W{n}", "title": "x"}, headers=bearer()
                    )
                    for n in range(10)
                ]
                read = client.get(f"{API}/projects", headers=bearer())
                *responses, listed = await asyncio.gather(*writes, read)
            assert {r.status_code for r in responses} == {503}
            assert all(r.headers["retry-after"] for r in responses)
            assert responses[0].json()["code"] == "SERVICE_UNAVAILABLE"
            assert listed.status_code == 200  # readers are not blocked by the writer lock
            ok = await client.post(
                f"{API}/projects", json={"key": "AFTER", "title": "x"}, headers=bearer()
            )
            assert ok.status_code == 201


async def test_cors_preflight_needs_no_token(settings: Settings) -> None:
    from pm.server.app import create_app

    app = create_app(settings.model_copy(update={"cors_origins": ["https://app.example"]}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            preflight = await client.options(
                f"{API}/projects",
                headers={
                    "Origin": "https://app.example",
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == "https://app.example"
            denied = await client.get(f"{API}/projects", headers={"Origin": "https://app.example"})
            assert denied.status_code == 401
            assert denied.headers["access-control-allow-origin"] == "https://app.example"


def test_opentelemetry_is_off_unless_enabled(settings: Settings) -> None:
    off = create_app(settings)
    on = create_app(settings.model_copy(update={"otel_enabled": True}))
    assert not off._native_telemetry.enabled()
    assert (off._telemetry["tracing"], on._telemetry["tracing"]) == (False, True)


def _layers(app: ASGIApp) -> list[str]:
    names = []
    while not isinstance(app, APIRouter):
        names.append(type(app).__name__)
        app = app.app  # type: ignore[attr-defined]
    return names


def test_the_middleware_stack_has_only_the_layers_in_use(settings: Settings) -> None:
    stack = _layers(create_app(settings).build_middleware_stack())
    assert stack == [
        "ServerErrorMiddleware",
        "RequestContextMiddleware",
        "AuthMiddleware",
        "ExceptionMiddleware",
    ]
    on = create_app(settings.model_copy(update={"otel_enabled": True}))
    assert _layers(on.build_middleware_stack())[:2] == [
        "ServerErrorMiddleware",
        "ExceptionTelemetryMiddleware",
    ]


def test_fastapi_body_limit_is_refused_in_favour_of_ours(settings: Settings) -> None:
    app = create_app(settings)
    app.max_body_size = 1024
    with pytest.raises(ValueError, match="max_body_size"):
        app.build_middleware_stack()


async def test_routes_served_by_fastapi_still_get_their_exit_stack(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    # A route with query parameters falls back to FastAPI's handler, which needs the
    # per-request exit stack the app-wide middleware used to provide.
    listing = next(
        r
        for r in create_app(settings).routes
        if isinstance(r, FastRoute) and r.path == f"{API}/projects" and "GET" in r.methods
    )
    assert not listing.fast
    response = await client.get(f"{API}/projects?limit=5", headers=bearer())
    assert response.status_code == 200
