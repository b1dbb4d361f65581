"""Safe retries: the first answer to a keyed request is stored with its write and replayed."""

from __future__ import annotations

import hashlib

from pm.core.errors import InvalidInput
from pm.db.repos import idempotency as repo
from pm.db.repos.idempotency import StoredResponse
from pm.service.uow import UnitOfWork


def fingerprint(*parts: bytes) -> str:
    """A digest of what makes two requests "the same request"."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def replay(
    uow: UnitOfWork, key: str, digest: str, field: str = "Idempotency-Key"
) -> StoredResponse | None:
    """The stored answer for this key; the same key on a different request is invalid input."""
    not_before = uow.now - uow.tenancy.idempotency_ttl
    stored = await repo.get(uow.ex, uow.actor.user_id, key, not_before)
    if stored is not None and stored.fingerprint != digest:
        raise InvalidInput(f"this {field} was already used for a different request", field=field)
    return stored


async def remember(uow: UnitOfWork, key: str, digest: str, status: int, body: bytes) -> None:
    """Store the answer in the same transaction as the write it describes.

    Expired answers are forgotten with the tenant's other housekeeping (`Tenancy`).
    """
    await repo.put(uow.ex, uow.actor.user_id, key, StoredResponse(digest, status, body), uow.now)
