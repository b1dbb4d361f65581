"""Optional audience / issuer checks, and the tenant-admin roles claim."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import SECRET
from tests.helpers import API


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app that requires aud=pm-api and iss=https://id.example."""
    app = create_app(
        settings.model_copy(update={"jwt_audience": "pm-api", "jwt_issuer": "https://id.example"})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def _token(**claims: object) -> dict[str, str]:
    base: dict[str, object] = {"sub": "alice", "tenant_id": "acme", "exp": int(time.time()) + 60}
    base.update(claims)
    return {"Authorization": f"Bearer {jwt.encode(base, SECRET, algorithm='HS256')}"}


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        ({"aud": "pm-api", "iss": "https://id.example"}, 200),
        ({"aud": ["other", "pm-api"], "iss": "https://id.example"}, 200),
        ({"iss": "https://id.example"}, 401),
        ({"aud": "pm-api"}, 401),
        ({"aud": "someone-else", "iss": "https://id.example"}, 401),
        ({"aud": "pm-api", "iss": "https://evil.example"}, 401),
    ],
)
async def test_audience_and_issuer_are_checked_when_configured(
    strict: httpx.AsyncClient, claims: dict[str, object], status: int
) -> None:
    response = await strict.get(f"{API}/projects", headers=_token(**claims))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("roles", "admin"),
    [(["tenant_admin"], True), ("tenant_admin", True), (["viewer"], False), (None, False)],
)
async def test_roles_claim_makes_a_tenant_admin(
    client: httpx.AsyncClient, roles: object, admin: bool
) -> None:
    claims = {} if roles is None else {"roles": roles}
    feed = await client.get(f"{API}/activity", headers=_token(**claims))
    assert feed.status_code == (200 if admin else 403)


async def test_malformed_roles_claim_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/projects", headers=_token(roles={"tenant_admin": 1}))
    assert response.status_code == 401
