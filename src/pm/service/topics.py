"""Checking what a client may subscribe to: live ids of its own tenant only."""

from __future__ import annotations

from collections.abc import Iterable

from pm.core.errors import NotFound
from pm.db.repos import projects, sprints, work_items
from pm.service.uow import Reader


async def verify(
    reader: Reader,
    project_ids: Iterable[str],
    sprint_ids: Iterable[str],
    work_item_ids: Iterable[str],
) -> None:
    """Raise NotFound (naming the list) for the first id that is missing in this tenant."""
    ex = reader.ex
    for ident in project_ids:
        if await projects.get(ex, ident) is None:
            raise NotFound("project", ident, field="project_ids")
    for ident in sprint_ids:
        if await sprints.get(ex, ident) is None:
            raise NotFound("sprint", ident, field="sprint_ids")
    for ident in work_item_ids:
        if await work_items.get(ex, ident) is None:
            raise NotFound("work item", ident, field="work_item_ids")
