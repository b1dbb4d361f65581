"""REST rate limits per user and per tenant: 429 with Retry-After and RateLimit headers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import bearer
from tests.helpers import API


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app allowing 5 requests per user (burst) and 8 per tenant."""
    tight = settings.model_copy(
        update={
            "rate_limit_user_per_second": 0.5,
            "rate_limit_user_burst": 5,
            "rate_limit_tenant_per_second": 0.5,
            "rate_limit_tenant_burst": 8,
        }
    )
    app = create_app(tight)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def test_user_limit_answers_429_with_headers(limited: httpx.AsyncClient) -> None:
    statuses = [
        (await limited.get(f"{API}/projects", headers=bearer("rl", "alice"))).status_code
        for _ in range(7)
    ]
    assert statuses == [200] * 5 + [429] * 2
    refused = await limited.get(f"{API}/projects", headers=bearer("rl", "alice"))
    assert refused.json()["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-limit"] == "1"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert int(refused.headers["ratelimit-reset"]) >= 1


async def test_tenant_limit_spans_its_users_not_other_tenants(limited: httpx.AsyncClient) -> None:
    answers = []
    for user in ("a", "b", "c"):
        for _ in range(3):
            answers.append(
                (await limited.get(f"{API}/projects", headers=bearer("busy", user))).status_code
            )
    assert answers.count(200) == 8
    assert answers[-1] == 429
    other = await limited.get(f"{API}/projects", headers=bearer("calm", "a"))
    assert other.status_code == 200


async def test_health_is_never_limited(limited: httpx.AsyncClient) -> None:
    assert {(await limited.get("/health")).status_code for _ in range(20)} == {200}
