"""Safe retries: the first answer to a keyed request is stored with its write and replayed."""

from __future__ import annotations

import hashlib

from pm.core.errors import InvalidInput
from pm.db.repos import idempotency as repo
from pm.db.repos.idempotency import StoredResponse
from pm.service.uow import UnitOfWork

DEFAULT_TTL = 24 * 3600
_PURGE_EVERY = 300  # seconds between purges of expired keys, per tenant store
_last_purge: dict[str, int] = {}


def fingerprint(*parts: bytes) -> str:
    """A digest of what makes two requests "the same request"."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def replay(
    uow: UnitOfWork,
    key: str,
    digest: str,
    ttl: int = DEFAULT_TTL,
    field: str = "Idempotency-Key",
) -> StoredResponse | None:
    """The stored answer for this key; the same key on a different request is invalid input."""
    stored = await repo.get(uow.ex, uow.actor.user_id, key, uow.now - ttl)
    if stored is not None and stored.fingerprint != digest:
        raise InvalidInput(f"this {field} was already used for a different request", field=field)
    return stored


async def remember(
    uow: UnitOfWork, key: str, digest: str, status: int, body: bytes, ttl: int = DEFAULT_TTL
) -> None:
    """Store the answer in the same transaction as the write it describes."""
    await repo.put(uow.ex, uow.actor.user_id, key, StoredResponse(digest, status, body), uow.now)
    tenant = uow.actor.tenant_id
    if uow.now - _last_purge.get(tenant, 0) >= _PURGE_EVERY:
        _last_purge[tenant] = uow.now
        await repo.purge(uow.ex, uow.now - ttl)
