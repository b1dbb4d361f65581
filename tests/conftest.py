"""Shared fixtures: a real SQLite data directory per test, the app over ASGI, tokens."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from pm.auth.jwt import JwtConfig, mint
from pm.db import migrate
from pm.server.app import create_app
from pm.server.settings import Settings

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


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Settings for an app over the test's data dir."""
    return Settings(
        db_path=data_dir,
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
