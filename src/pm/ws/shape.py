"""Shape validation of WebSocket requests: the same sizes and ranges the REST DTOs enforce."""

from __future__ import annotations

from google.protobuf.message import Message

from pm.core import limits
from pm.core.errors import InvalidInput

# By field name: the names mean the same thing in every request message.
_TEXT_MAX: dict[str, int] = {
    "title": limits.TITLE_MAX,
    "name": limits.NAME_MAX,
    "key": limits.KEY_MAX,
    "description": limits.TEXT_MAX,
    "goal": limits.TEXT_MAX,
    "content": limits.TEXT_MAX,
    "status": limits.STATUS_MAX,
    "priority": limits.STATUS_MAX,
    "assignee_id": limits.USER_ID_MAX,
    "category": 40,
    "context_type": 40,
    "entity_type": 40,
}
_RANGES: dict[str, tuple[int, int]] = {
    "started_at": (0, limits.TIMESTAMP_MAX),
    "ended_at": (0, limits.TIMESTAMP_MAX),
    "start_date": (0, limits.TIMESTAMP_MAX),
    "end_date": (0, limits.TIMESTAMP_MAX),
    "since_timestamp": (0, limits.TIMESTAMP_MAX),
    "story_points": (0, limits.STORY_POINTS_MAX),
    "position": (0, limits.INT32_MAX),
    "expected_version": (0, limits.INT32_MAX),
    "min_priority": (-limits.INT32_MAX, limits.INT32_MAX),
}
# Blank is not a value for these (an id list entry, a title...).
_NOT_BLANK = frozenset({"title", "name", "key", "content"})


def check(request: Message) -> None:
    """Raise InvalidInput (naming the field) when a set field is too long or out of range."""
    for descriptor, value in request.ListFields():
        name = descriptor.name
        if isinstance(value, str):
            _check_text(name, value)
        elif isinstance(value, int) and not isinstance(value, bool) and name in _RANGES:
            low, high = _RANGES[name]
            if not low <= value <= high:
                raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
        elif name.endswith("_ids"):
            for item in value:
                if not isinstance(item, str) or not 0 < len(item) <= limits.ID_MAX:
                    raise InvalidInput(
                        f"every entry of {name} must be an id of at most "
                        f"{limits.ID_MAX} characters",
                        field=name,
                    )


def _check_text(name: str, value: str) -> None:
    maximum = _TEXT_MAX.get(name, limits.ID_MAX if name.endswith("_id") else None)
    if maximum is not None and len(value) > maximum:
        raise InvalidInput(f"{name} must be at most {maximum} characters", field=name)
    if name in _NOT_BLANK and not value.strip():
        raise InvalidInput(f"{name} must not be blank", field=name)
