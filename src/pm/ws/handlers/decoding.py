"""Reading request fields the way proto3 defines them: presence, "0 means unset", paging."""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf.message import Message

from pm.core.errors import InvalidInput


def expected_version(version: int) -> int | None:
    """A plain int32 expected_version: 0 (unset in proto3) means "no expectation"."""
    return version or None


# proto3 strings have no null: an explicitly set empty string clears these nullable fields.
CLEARABLE = frozenset({"description", "goal", "assignee_id", "sprint_id", "parent_id"})


def present(request: Message, names: Iterable[str]) -> dict[str, object]:
    """The `optional` fields of `request` that the client set, by name (a patch).

    An empty string clears a nullable field (the way `null` does over REST).
    """
    patch: dict[str, object] = {}
    for name in names:
        if request.HasField(name):
            value = getattr(request, name)
            patch[name] = None if value == "" and name in CLEARABLE else value
    return patch


def window(limit: int, offset: int, default: int, maximum: int) -> tuple[int, int]:
    """A (limit, offset) page: limit 0 means `default`, a larger one than `maximum` is capped."""
    if limit < 0:
        raise InvalidInput("limit must not be negative", field="limit")
    if offset < 0:
        raise InvalidInput("offset must not be negative", field="offset")
    return min(limit or default, maximum), offset
