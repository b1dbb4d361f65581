"""Validating bearer tokens into an Actor (user + tenant)."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

import jwt

from pm.core.actor import Actor
from pm.core.errors import Unauthenticated
from pm.core.records import record
from pm.core.tenants import validate_tenant_id

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}
)
LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 8192
_CACHE_SIZE = 4096


@record
class JwtConfig:
    """How tokens are checked: one pinned algorithm, its key, optional audience and issuer."""

    key: str
    algorithm: str = "HS256"
    audience: str | None = None
    issuer: str | None = None
    signing_key: str | None = None  # private key for minting with an asymmetric algorithm
    roles_claim: str = "roles"  # a string or a list of strings
    tenant_admin_role: str = "tenant_admin"

    def __post_init__(self) -> None:
        if self.algorithm not in HMAC_ALGORITHMS | ASYMMETRIC_ALGORITHMS:
            raise ValueError(f"unsupported JWT algorithm {self.algorithm!r}")


class TokenVerifier:
    """Checks signature, expiry and claims; caches recent verdicts until the token expires."""

    def __init__(self, config: JwtConfig) -> None:
        self.config = config
        self._options: Any = {"require": ["exp", "sub", "tenant_id"]}
        if config.audience:
            self._options["require"].append("aud")
        if config.issuer:
            self._options["require"].append("iss")
        self._cache: OrderedDict[str, tuple[Actor, int]] = OrderedDict()

    def verify(self, token: str) -> Actor:
        """The actor a token speaks for; raises Unauthenticated with the reason."""
        return self.check(token)[0]

    def check(self, token: str) -> tuple[Actor, int]:
        """The actor and the expiry (`exp`, Unix seconds) of a valid token."""
        cached = self._cache.get(token)
        if cached is not None:
            if time.time() <= cached[1] + LEEWAY_SECONDS:
                return cached
            del self._cache[token]
        verdict = self._decode(token)
        self._cache[token] = verdict
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return verdict

    def _decode(self, token: str) -> tuple[Actor, int]:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise Unauthenticated("missing or oversized bearer token")
        try:
            claims = jwt.decode(
                token,
                self.config.key,
                algorithms=[self.config.algorithm],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=LEEWAY_SECONDS,
                options=self._options,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"invalid token: {exc}") from exc
        sub, tenant_id, exp = claims.get("sub"), claims.get("tenant_id"), claims.get("exp")
        if not isinstance(sub, str) or not sub or len(sub) > 255:
            raise Unauthenticated("the token's sub claim must be a non-empty string")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise Unauthenticated("the token's exp claim must be an integer")
        roles = claims.get(self.config.roles_claim)
        if isinstance(roles, str):
            roles = [roles]
        if roles is not None and (
            not isinstance(roles, list) or not all(isinstance(r, str) for r in roles)
        ):
            raise Unauthenticated(
                f"the token's {self.config.roles_claim} claim must be a string or a list of strings"
            )
        admin = self.config.tenant_admin_role in (roles or ())
        return Actor(validate_tenant_id(tenant_id), sub, admin), exp


def mint(
    config: JwtConfig,
    tenant_id: str,
    user_id: str,
    hours: float,
    extra: dict[str, object] | None = None,
) -> str:
    """Sign a token for development and tests."""
    validate_tenant_id(tenant_id)
    key = config.key if config.algorithm in HMAC_ALGORITHMS else config.signing_key
    if not key:
        raise ValueError(f"minting {config.algorithm} tokens needs JWT_PRIVATE_KEY")
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "tenant_id": tenant_id,
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    if config.audience:
        claims["aud"] = config.audience
    if config.issuer:
        claims["iss"] = config.issuer
    claims.update(extra or {})
    return jwt.encode(claims, key, algorithm=config.algorithm)
