"""The event record a unit of work collects for every committed change."""

from __future__ import annotations

from dataclasses import field

from pm.core.activity import FieldChange
from pm.core.records import record


@record
class Event:
    """One change, addressed to the subscribers of its project, sprint and work item.

    `kind` is the protocol's payload case name (work_item_created, sprint_updated, ...);
    `entity` is the domain object after the change (None for deletions).
    """

    kind: str
    user_id: str
    entity_id: str
    project_id: str | None
    entity: object | None = None
    changes: tuple[FieldChange, ...] = ()
    sprint_ids: tuple[str, ...] = ()
    work_item_ids: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)
