"""Reading request fields the way proto3 defines them: presence, "0 means unset", paging."""

from __future__ import annotations

from pm.core.errors import InvalidInput


def expected_version(version: int) -> int | None:
    """A plain int32 expected_version: 0 (unset in proto3) means "no expectation"."""
    return version or None


def cleared(value: str) -> str | None:
    """A nullable string field: proto3 strings have no null, so a set empty string clears it
    (the way `null` does over REST)."""
    return None if value == "" else value


def window(limit: int, offset: int, default: int, maximum: int) -> tuple[int, int]:
    """A (limit, offset) page: limit 0 means `default`, a larger one than `maximum` is capped."""
    if limit < 0:
        raise InvalidInput("limit must not be negative", field="limit")
    if offset < 0:
        raise InvalidInput("offset must not be negative", field="offset")
    return min(limit or default, maximum), offset
