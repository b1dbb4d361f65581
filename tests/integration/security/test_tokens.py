"""Bearer tokens: what is refused, and that a refused token touches no storage."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import jwt
import pytest

from tests.conftest import SECRET, token
from tests.helpers import API


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _signed(claims: dict[str, object], key: str = SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {"sub": "alice", "tenant_id": "acme", "exp": int(time.time()) + 600}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


BAD_TOKENS = {
    "expired": _signed(_claims(exp=int(time.time()) - 120)),
    "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}.",
    "wrong key": _signed(_claims(), key="another-secret-" * 5),
    "other algorithm": _signed(_claims(), alg="HS512"),
    "no exp": _signed(_claims(exp=None)),
    "no sub": _signed(_claims(sub=None)),
    "no tenant": _signed(_claims(tenant_id=None)),
    "sub not a string": _signed(_claims(sub=42)),
    "exp not a number": _signed(_claims(exp="tomorrow")),
    "garbage": "not-a-jwt",
}


@pytest.mark.parametrize("name", sorted(BAD_TOKENS))
async def test_bad_tokens_get_401_with_bearer_challenge(
    client: httpx.AsyncClient, name: str
) -> None:
    response = await client.get(
        f"{API}/projects", headers={"Authorization": f"Bearer {BAD_TOKENS[name]}"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_FAILED"
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="pm", error="invalid_token"'
    )


async def test_missing_token_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer"}):
        response = await client.get(f"{API}/projects", headers=headers)
        assert response.status_code == 401
        assert "www-authenticate" in response.headers


async def test_leeway_accepts_a_token_expired_seconds_ago(client: httpx.AsyncClient) -> None:
    recent = _signed(_claims(exp=int(time.time()) - 10))
    response = await client.get(f"{API}/projects", headers={"Authorization": f"Bearer {recent}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "tenant", ["../x", "", "a" * 300, "ACME", "a/b", "..", ".hidden", "a\x00b", "tenant with space"]
)
async def test_unsafe_tenant_ids_are_refused_and_create_nothing(
    client: httpx.AsyncClient, data_dir: Path, tenant: str
) -> None:
    before = sorted(p.relative_to(data_dir) for p in data_dir.rglob("*"))
    forged = _signed(_claims(tenant_id=tenant))
    for method, url in (("GET", f"{API}/projects"), ("POST", f"{API}/projects")):
        response = await client.request(
            method,
            url,
            json={"key": "EVIL", "title": "x"},
            headers={"Authorization": f"Bearer {forged}"},
        )
        assert response.status_code == 401, (tenant, method)
    assert sorted(p.relative_to(data_dir) for p in data_dir.rglob("*")) == before
    assert not (data_dir.parent / "x").exists()


async def test_numeric_tenant_claim_is_refused(client: httpx.AsyncClient) -> None:
    forged = _signed(_claims(tenant_id=12345))
    response = await client.get(f"{API}/projects", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_a_valid_token_works(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/projects", headers={"Authorization": f"Bearer {token()}"})
    assert response.status_code == 200
