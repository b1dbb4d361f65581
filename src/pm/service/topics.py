"""Checking what a client may subscribe to: live ids it may read, in its own tenant only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from pm.core.errors import NotFound
from pm.core.projects import parse_key
from pm.core.work_items import parse_item_key
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


def names_keys(project_ids: Iterable[str], work_item_ids: Iterable[str]) -> bool:
    """True when a project or work item is named by its key rather than its id."""
    return any(parse_key(p) is not None for p in project_ids) or any(
        parse_item_key(w) is not None for w in work_item_ids
    )


async def resolve_keys(
    reader: Reader, project_ids: Iterable[str], work_item_ids: Iterable[str]
) -> tuple[frozenset[str], frozenset[str]]:
    """The ids of the projects and work items named by id or key (events carry ids only).

    A key that names nothing readable is NotFound on its list, as in `verify`.
    """
    projects: set[str] = set()
    for ref in project_ids:
        projects.add(ref if parse_key(ref) is None else await _id(reader, ref, "project_ids"))
    items: set[str] = set()
    for ref in work_item_ids:
        items.add(ref if parse_item_key(ref) is None else await _id(reader, ref, "work_item_ids"))
    return frozenset(projects), frozenset(items)


async def _id(reader: Reader, key: str, field: str) -> str:
    lookup = lookups.project if field == "project_ids" else lookups.work_item
    try:
        return (await lookup(reader, key, VIEW)).id
    except NotFound as exc:
        raise NotFound(exc.entity, key, field=field) from None
