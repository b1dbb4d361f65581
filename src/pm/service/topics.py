"""Checking what a client may subscribe to: live ids it may read, in its own tenant only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from pm.core.errors import NotFound
from pm.service import lookups
from pm.service.access import VIEW
from pm.service.uow import Reader


async def verify(
    reader: Reader,
    project_ids: Iterable[str],
    sprint_ids: Iterable[str],
    work_item_ids: Iterable[str],
) -> None:
    """Raise NotFound (naming the list) for the first id that is missing or not readable.

    Another tenant's id, a deleted one and one in a project the user is not a member of all
    answer the same way: as if it did not exist.
    """
    checks: tuple[tuple[Iterable[str], str, Callable[..., Awaitable[object]]], ...] = (
        (project_ids, "project_ids", lookups.project),
        (sprint_ids, "sprint_ids", lookups.sprint),
        (work_item_ids, "work_item_ids", lookups.work_item),
    )
    for ids, field, lookup in checks:
        for ident in ids:
            try:
                await lookup(reader, ident, VIEW)
            except NotFound as exc:
                raise NotFound(exc.entity, ident, field=field) from None
