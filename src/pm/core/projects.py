"""Projects: the container of work, with a unique human key like "PONE"."""

from __future__ import annotations

import re

from pm.core.enums import ProjectStatus
from pm.core.errors import InvalidInput
from pm.core.records import record

KEY_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,9}$")
_ANY_CASE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,9}$")


@record
class Project:
    """A project; `next_work_item_number` numbers its items (KEY-1, KEY-2, ...)."""

    id: str
    key: str
    title: str
    description: str | None
    status: ProjectStatus
    version: int
    next_work_item_number: int
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted_at: int | None


UPDATABLE_FIELDS = ("title", "description", "status")


def validate_key(key: str) -> str:
    """A key is 2-10 upper-case letters or digits, starting with a letter."""
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(
            "key must be 2-10 upper-case letters or digits and start with a letter (e.g. PONE)",
            field="key",
        )
    return key


def validate_title(title: str, field: str = "title") -> str:
    """Titles are trimmed and must not be blank."""
    trimmed = title.strip()
    if not trimmed:
        raise InvalidInput(f"{field} must not be blank", field=field)
    return trimmed


def parse_key(id_or_key: str) -> str | None:
    """The project key a path names ("pone" → "PONE"), or None when it names an id.

    Keys are 2-10 letters or digits; ids are 36-character UUIDs, so the two never overlap.
    """
    return id_or_key.upper() if _ANY_CASE_KEY.fullmatch(id_or_key) else None
