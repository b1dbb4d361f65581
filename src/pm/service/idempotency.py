"""Safe retries: the first answer to a keyed request is stored with its write and replayed."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pm.core.actor import Actor
from pm.core.errors import DomainError, InvalidInput, Unavailable
from pm.core.records import record
from pm.db.repos import idempotency as repo
from pm.db.repos.idempotency import StoredResponse
from pm.service.uow import ClaimLost, Reader, Tenancy, UnitOfWork

T = TypeVar("T")
# A keyed write: runs in the unit of work and returns its answer (status, body).
KeyedWrite = Callable[[UnitOfWork], Awaitable[tuple[int, bytes]]]
# (status, body, replayed): what a write answers, and whether it is a stored first answer.
Answer = tuple[int, bytes, bool]


@record
class Key:
    """A client's idempotency key, the fingerprint of its request, and the field it came in."""

    value: str
    digest: str
    field: str


async def write(
    tenancy: Tenancy,
    actor: Actor,
    run: Callable[[UnitOfWork], Awaitable[T]],
    answer: Callable[[T], tuple[int, bytes]],
    key: Key | None,
) -> Answer:
    """Run a use case in one transaction and answer with `answer(result)`, for REST and WS.

    Without a key the answer is built after the commit. With one it is built inside the
    transaction and stored with the write, and a retry gets the first answer again
    without writing anything (see `once`).
    """
    if key is None:
        async with tenancy.unit_of_work(actor) as uow:
            result = await run(uow)
        status, body = answer(result)
        return status, body, False

    async def keyed(uow: UnitOfWork) -> tuple[int, bytes]:
        return answer(await run(uow))

    stored, first = await once(tenancy, actor, key.value, key.digest, keyed, key.field)
    return stored.status_code, stored.body, not first


def fingerprint(*parts: bytes) -> str:
    """A digest of what makes two requests "the same request"."""
    framed = b"".join(len(part).to_bytes(8, "big") + part for part in parts)
    return hashlib.sha256(framed).hexdigest()


_ATTEMPTS = 3  # a claim lost, then its answer expired before it was read: rare twice


class _Answered(Exception):
    """The key already holds an answer: undo this attempt and give that answer."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("answered before")
        self.stored = stored


async def once(
    tenancy: Tenancy,
    actor: Actor,
    key: str,
    digest: str,
    write: KeyedWrite,
    field: str = "Idempotency-Key",
) -> tuple[StoredResponse, bool]:
    """Run a keyed write at most once: (its answer, True), or (the first answer, False).

    The write runs first, and its answer is stored under the key in the same unit of work.
    Only when the key already holds an answer — a retry — or the write fails is the stored
    answer looked up; this attempt's work is then undone and the first answer given (the
    same key on a different request is invalid input). A first attempt, the usual case,
    costs no statement of its own: the key's insert rides in the unit's last statement
    (`UnitOfWork.finish`), and whether it inserted decides — inside the unit, or where
    that statement was held back, once its batch has ended (`ClaimLost`: the answer is
    read then; should it have expired meanwhile, the write runs again).
    """
    for _ in range(_ATTEMPTS):
        try:
            async with tenancy.unit_of_work(actor) as uow:
                try:
                    status, body = await write(uow)
                except DomainError:
                    await _answered_before(uow, tenancy.idempotency_ttl, key, digest, field)
                    raise
                answer = StoredResponse(digest, status, body)
                expired = uow.now - tenancy.idempotency_ttl
                claim = repo.putting(actor.user_id, key, answer, uow.now, expired)
                if not await uow.finish(claim):
                    await _answered_before(uow, tenancy.idempotency_ttl, key, digest, field)
                    raise RuntimeError(f"idempotency key {key!r} is taken but holds no answer")
        except _Answered as answered:
            return answered.stored, False
        except ClaimLost:
            try:
                async with tenancy.reading(actor) as reader:
                    await _answered_before(reader, tenancy.idempotency_ttl, key, digest, field)
            except _Answered as answered:
                return answered.stored, False
            continue  # the answer expired in between: this is a first attempt again
        return answer, True
    raise Unavailable(f"the {field} could neither be claimed nor read; retry", retry_after=1)


async def _answered_before(reader: Reader, ttl: int, key: str, digest: str, field: str) -> None:
    """Raise _Answered with the key's answer given in the last `ttl` seconds, if it has one
    (InvalidInput when it answered a different request)."""
    not_before = reader.now - ttl
    stored = await repo.get(reader.ex, reader.actor.user_id, key, not_before)
    if stored is None:
        return
    if stored.fingerprint != digest:
        raise InvalidInput(f"this {field} was already used for a different request", field=field)
    raise _Answered(stored)
