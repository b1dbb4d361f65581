"""Shared fixtures: a real SQLite data directory per test, the app over ASGI, tokens.

The API, WebSocket and webhook integration tests (and the crash and multi-instance tests) run on
both storage engines: the `backend` fixture is "sqlite" everywhere and also "postgres" under
`PG_DIRS` (skipped, with the reason, when PostgreSQL is not reachable). Each PostgreSQL
run gets a database of its own (per xdist worker), and every tenant schema a test created
is dropped after it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from pm.auth.jwt import JwtConfig, mint
from pm.db import migrate
from pm.server.app import create_app
from pm.server.settings import Settings
from tests.tenantdb import TenantDb

PG_ADMIN_URL = os.environ.get("PM_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_DIRS = (
    "tests/integration/api/",
    "tests/integration/ws/",
    "tests/integration/webhooks/",
    "tests/crash/",
    "tests/integration/server/test_redis.py",  # several instances on one database
)
# Tests that still read the tenant's SQLite file directly (or measure SQLite's memory):
# they run on SQLite only until they read through `TenantDb`.
SQLITE_ONLY = ("tests/integration/api/test_bulk.py", "tests/integration/api/test_sync_memory.py")
SECRET = "test-secret-that-is-long-enough-for-every-hmac-algorithm-0123456789abcdef"
JWT = JwtConfig(SECRET)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated template per test session; every test's data dir starts from a copy."""
    base = tmp_path_factory.mktemp("template")
    return migrate.template_path(base)


@pytest.fixture
def data_dir(tmp_path: Path, template_db: Path) -> Path:
    """A fresh DB_PATH with the migrated template already in place."""
    base = tmp_path / "data"
    target = base / ".template" / template_db.name
    target.parent.mkdir(parents=True)
    shutil.copyfile(template_db, target)
    return base


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests under PG_DIRS that use `backend` run once per engine."""
    if "backend" not in metafunc.fixturenames:
        return
    path = metafunc.definition.path.as_posix()
    engines = ["sqlite"]
    where = f"{path}::{metafunc.definition.name}"
    if any(d in path for d in PG_DIRS) and not any(x in where for x in SQLITE_ONLY):
        engines.append("postgres")
    metafunc.parametrize("backend", engines, indirect=True, scope="session")


def _pg_admin(sql: str) -> None:
    """Run one statement on the PostgreSQL server's admin database."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test process's own on the local PostgreSQL, dropped at the end."""
    name = f"pm_test_{uuid.uuid4().hex[:10]}"
    try:
        _pg_admin(f"CREATE DATABASE {name}")
    except (OSError, Exception) as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The storage engine of this test: "sqlite" or "postgres"."""
    return str(getattr(request, "param", "sqlite"))


def drop_tenant_schemas(url: str) -> None:
    """Drop every tenant schema in the test database (tests reuse tenant ids)."""
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url, timeout=3)
        try:
            schemas = await conn.fetch(
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                "AND nspname NOT IN ('public', 'information_schema')"
            )
            if schemas:
                names = ", ".join('"' + r[0].replace('"', '""') + '"' for r in schemas)
                await conn.execute(f"DROP SCHEMA {names} CASCADE")
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """DATABASE_URL for this test: None on SQLite; on PostgreSQL, fresh tenant schemas."""
    if backend != "postgres":
        yield None
        return
    url: str = request.getfixturevalue("pg_url")
    yield url
    drop_tenant_schemas(url)


@pytest.fixture
def settings(data_dir: Path, database_url: str | None) -> Settings:
    """Settings for an app over the test's data dir (and database, on PostgreSQL)."""
    return Settings(
        db_path=data_dir,
        database_url=database_url,
        jwt_secret=SECRET,
        log_level="warning",
        rate_limit_user_per_second=0,
        rate_limit_tenant_per_second=0,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def token(tenant: str = "acme", user: str = "alice", hours: float = 1.0, **extra: object) -> str:
    """A valid JWT for the test secret."""
    return mint(JWT, tenant, user, hours, extra or None)


def bearer(tenant: str = "acme", user: str = "alice") -> dict[str, str]:
    """Authorization headers for a user of a tenant."""
    return {"Authorization": f"Bearer {token(tenant, user)}"}


def admin_bearer(tenant: str = "acme", user: str = "root") -> dict[str, str]:
    """Authorization headers for a tenant admin (claim roles=["tenant_admin"])."""
    return {"Authorization": f"Bearer {token(tenant, user, roles=['tenant_admin'])}"}


@pytest.fixture
def auth() -> Callable[..., dict[str, str]]:
    """Factory for Authorization headers: auth(tenant="acme", user="alice")."""
    return bearer


@pytest.fixture
def db(data_dir: Path, database_url: str | None) -> TenantDb:
    """The test's tenants' rows, read behind the server's back (either engine)."""
    return TenantDb(data_dir, database_url)
