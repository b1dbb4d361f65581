"""Webhook subscriptions: what they match, how deliveries are signed, retried and guarded.

Signing follows the Standard Webhooks specification: the signed content is
`{webhook-id}.{webhook-timestamp}.{body}`, HMAC-SHA256 with the secret's bytes (the base64
after `whsec_`), sent as `v1,<base64 signature>`, one entry per active secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from pm.core.errors import InvalidInput
from pm.core.records import record

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
SECRET_BYTES = 32
ROTATION_OVERLAP = 24 * 3600  # the old secret keeps signing this long after a rotation
MAX_URL = 2000
EXCERPT = 1024  # bytes of a receiver's answer kept per attempt
# The Standard Webhooks schedule, in seconds after the previous attempt.
DEFAULT_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
JITTER = 0.1  # ± this fraction of each delay

# Event kind (the protocol's payload case) → webhook event type `<entity>.<action>`.
EVENT_TYPES: dict[str, str] = {
    "project_created": "project.created",
    "project_updated": "project.updated",
    "project_deleted": "project.deleted",
    "work_item_created": "work_item.created",
    "work_item_updated": "work_item.updated",
    "work_item_deleted": "work_item.deleted",
    "sprint_created": "sprint.created",
    "sprint_updated": "sprint.updated",
    "sprint_deleted": "sprint.deleted",
    "comment_created": "comment.created",
    "comment_updated": "comment.updated",
    "comment_deleted": "comment.deleted",
    "timer_started": "time_entry.created",
    "timer_stopped": "time_entry.updated",
    "time_entry_created": "time_entry.created",
    "time_entry_updated": "time_entry.updated",
    "time_entry_deleted": "time_entry.deleted",
    "dependency_created": "dependency.created",
    "dependency_deleted": "dependency.deleted",
    "swim_lane_created": "swim_lane.created",
    "swim_lane_updated": "swim_lane.updated",
    "swim_lane_deleted": "swim_lane.deleted",
    "member_added": "member.created",
    "member_updated": "member.updated",
    "member_removed": "member.deleted",
    "webhook_disabled": "webhook.disabled",
}
TEST_TYPE = "webhook.test"
KNOWN_TYPES = frozenset(EVENT_TYPES.values())
ALL = "*"


@record
class Webhook:
    """A subscription: where to POST which of the tenant's events (one project's or all)."""

    id: str
    url: str
    event_types: tuple[str, ...]
    project_id: str | None
    description: str | None
    enabled: bool
    secret: str
    previous_secret: str | None
    previous_secret_until: int | None
    cursor_seq: int
    failing_since: int | None
    disabled_reason: str | None
    version: int
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted_at: int | None


@record
class Delivery:
    """One event (or test ping) for one subscription, and where its sending stands."""

    id: str
    webhook_id: str
    seq: int | None
    event_type: str
    body: str
    status: str  # pending | delivered | failed
    attempts: int
    next_attempt_at: int
    lease_until: int | None
    last_status_code: int | None
    created_at: int
    updated_at: int


@record
class Attempt:
    """One try at sending a delivery."""

    id: str
    delivery_id: str
    attempted_at: int
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None


PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


def validate_url(url: str) -> str:
    """An absolute http(s) URL with a host (addresses are checked when sending, too)."""
    text = url.strip()
    if len(text) > MAX_URL:
        raise InvalidInput(f"url must be at most {MAX_URL} characters", field="url")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url must start with http:// or https://", field="url")
    if not parts.hostname:
        raise InvalidInput("url must name a host", field="url")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InvalidInput("url has an invalid port", field="url") from None
    return text


def validate_event_types(types: Sequence[str]) -> tuple[str, ...]:
    """The subscribed types: `["*"]` or known `<entity>.<action>` types, without repeats."""
    if not types:
        raise InvalidInput('event_types needs at least one type, or ["*"]', field="event_types")
    unknown = sorted({t for t in types if t != ALL and t not in KNOWN_TYPES})
    if unknown:
        raise InvalidInput(
            f"unknown event types {unknown}; known: {sorted(KNOWN_TYPES)} or *",
            field="event_types",
        )
    if ALL in types:
        return (ALL,)
    return tuple(dict.fromkeys(types))


def matches(webhook: Webhook, event_type: str, project_id: str | None) -> bool:
    """True when the subscription wants this event."""
    if webhook.project_id is not None and webhook.project_id != project_id:
        return False
    return ALL in webhook.event_types or event_type in webhook.event_types


def new_secret(random: bytes) -> str:
    """A secret in the Standard Webhooks form from `random` (at least 24 bytes)."""
    if len(random) < 24:
        raise ValueError("a webhook secret needs at least 24 random bytes")
    return SECRET_PREFIX + base64.b64encode(random).decode()


def active_secrets(webhook: Webhook, now: int) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one for a day."""
    secrets = [webhook.secret]
    until = webhook.previous_secret_until
    if webhook.previous_secret and until is not None and now < until:
        secrets.append(webhook.previous_secret)
    return secrets


def sign(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: `v1,<base64>` per secret, space-separated."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    entries = []
    for secret in secrets:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
        digest = hmac.new(key, content, hashlib.sha256).digest()
        entries.append("v1," + base64.b64encode(digest).decode())
    return " ".join(entries)


def retry_delay(attempts: int, schedule: Sequence[int], unit: float) -> int | None:
    """Seconds until the next try after `attempts` failed ones (None: give up).

    `unit` in [0, 1) spreads the delay by ± JITTER (callers pass a random number).
    """
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return max(1, round(base * (1 + JITTER * (2 * unit - 1))))


# Besides what `ipaddress` calls private, loopback, link-local (which holds the cloud metadata
# address 169.254.169.254), multicast, reserved and unspecified: shared address space.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA_V6 = ipaddress.ip_address("fd00:ec2::254")


def refused_address(address: str) -> str | None:
    """Why a target address may not be sent to (None: it is public)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        (ip.is_loopback, "loopback"),
        (ip == _METADATA_V6 or str(ip) == "169.254.169.254", "a cloud metadata address"),
        (ip.is_link_local, "link-local"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
        (ip.is_private, "private"),
        (ip.is_multicast, "multicast"),
        (ip.is_reserved or ip.is_unspecified, "reserved"),
    )
    for hit, reason in checks:
        if hit:
            return f"{address} is {reason}"
    return None


def check_targets(addresses: Iterable[str], allow_private: bool) -> None:
    """Refuse a target unless every address it resolves to is public (or private is allowed)."""
    found = list(addresses)
    if not found:
        raise InvalidInput("the url's host does not resolve", field="url")
    if allow_private:
        return
    for address in found:
        reason = refused_address(address)
        if reason is not None:
            raise InvalidInput(
                f"webhook targets must be public addresses: {reason} "
                "(WEBHOOK_ALLOW_PRIVATE_TARGETS=true allows them)",
                field="url",
            )
