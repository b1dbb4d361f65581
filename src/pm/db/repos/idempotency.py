"""pm_idempotency_keys: the first response to a keyed request, stored with its write."""

from __future__ import annotations

from pm.core.records import record
from pm.db.executor import Executor, Statement
from pm.db.query import sql

_GET = sql(
    "SELECT fingerprint, status_code, response_body FROM pm_idempotency_keys "
    "WHERE user_id = :user_id AND key = :key AND created_at >= :not_before"
)
# A key taken by an unexpired answer keeps it (no row changes); an expired one is reused.
_PUT = sql(
    "INSERT INTO pm_idempotency_keys (user_id, key, fingerprint, status_code, "
    "response_body, created_at) VALUES (:user_id, :key, :fingerprint, :status_code, "
    ":response_body, :created_at) ON CONFLICT (user_id, key) DO UPDATE SET "
    "fingerprint = excluded.fingerprint, status_code = excluded.status_code, "
    "response_body = excluded.response_body, created_at = excluded.created_at "
    "WHERE pm_idempotency_keys.created_at < :not_before RETURNING 1"
)
_PURGE = sql("DELETE FROM pm_idempotency_keys WHERE created_at < :not_before")


@record
class StoredResponse:
    """What was answered the first time."""

    fingerprint: str
    status_code: int
    body: bytes


async def get(ex: Executor, user_id: str, key: str, not_before: int) -> StoredResponse | None:
    """The unexpired stored response for (user, key)."""
    row = await ex.one(_GET, {"user_id": user_id, "key": key, "not_before": not_before})
    return None if row is None else StoredResponse(row[0], int(row[1]), bytes(row[2]))


def putting(
    user_id: str, key: str, response: StoredResponse, now: int, not_before: int
) -> Statement:
    """The write remembering a response under (user, key): it returns a row unless the key
    holds an answer given at or after `not_before` (that answer stays)."""
    return (
        _PUT,
        {
            "user_id": user_id,
            "key": key,
            "fingerprint": response.fingerprint,
            "status_code": response.status_code,
            "response_body": response.body,
            "created_at": now,
            "not_before": not_before,
        },
    )


async def purge(ex: Executor, not_before: int) -> int:
    """Forget responses older than the retention window."""
    return await ex.run(_PURGE, {"not_before": not_before})
