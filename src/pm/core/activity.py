"""Field-level audit trail: what changed, from what, to what, by whom."""

from __future__ import annotations

from collections.abc import Iterable

from pm.core.enums import EntityType
from pm.core.records import record


@record
class FieldChange:
    """One field's old and new value, rendered as text (None = absent)."""

    field_name: str
    old_value: str | None
    new_value: str | None


@record
class ActivityEntry:
    """One row of the append-only activity log."""

    id: str
    entity_type: EntityType
    entity_id: str
    project_id: str | None
    action: str
    field_name: str | None
    old_value: str | None
    new_value: str | None
    user_id: str
    timestamp: int
    comment: str | None


def render(value: object) -> str | None:
    """Text form of a field value as stored in the activity log."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def diff(old: object, new: object, fields: Iterable[str]) -> list[FieldChange]:
    """Changes between two versions of an entity over the named fields, in field order."""
    changes: list[FieldChange] = []
    for name in fields:
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            changes.append(FieldChange(name, render(before), render(after)))
    return changes
