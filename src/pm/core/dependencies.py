"""Dependencies between work items: `blocks` (directed, acyclic) and `relates_to` (symmetric)."""

from __future__ import annotations

from collections.abc import Container, Iterable

from pm.core.enums import DependencyType
from pm.core.errors import Conflict, InvalidInput
from pm.core.records import record


@record
class Dependency:
    """`blocking_item_id` blocks `blocked_item_id` (for relates_to the order is normalised)."""

    id: str
    blocking_item_id: str
    blocked_item_id: str
    dependency_type: DependencyType
    created_at: int
    created_by: str
    deleted_at: int | None


def normalise(blocking_id: str, blocked_id: str, kind: DependencyType) -> tuple[str, str]:
    """relates_to is symmetric, so its pair is stored in one canonical order."""
    if kind is DependencyType.RELATES_TO and blocked_id < blocking_id:
        return blocked_id, blocking_id
    return blocking_id, blocked_id


def validate_new(
    blocking_id: str,
    blocked_id: str,
    kind: DependencyType,
    existing_between: Dependency | None,
    reachable_from_blocked: Container[str],
) -> None:
    """No self-dependency, one dependency per pair, and `blocks` never closes a cycle.

    `reachable_from_blocked` holds every item that the blocked item (transitively) blocks.
    """
    if blocking_id == blocked_id:
        raise InvalidInput("an item cannot depend on itself", field="blocked_item_id")
    if existing_between is not None:
        raise Conflict(
            f"these items are already linked ({existing_between.dependency_type.value})",
            field="blocked_item_id",
            current=existing_between,
        )
    if kind is DependencyType.BLOCKS and blocking_id in reachable_from_blocked:
        raise InvalidInput(
            "this dependency would create a cycle: the blocked item already blocks the "
            "blocking item (directly or through other items)",
            field="blocked_item_id",
        )


@record
class ItemDependencies:
    """An item's links: what blocks it, what it blocks, and what merely relates to it."""

    blocking: list[Dependency]
    blocked: list[Dependency]
    related: list[Dependency]


def partition(item_id: str, dependencies: Iterable[Dependency]) -> ItemDependencies:
    """Sort an item's dependencies by role; relates_to never blocks, in either direction."""
    blocking: list[Dependency] = []
    blocked: list[Dependency] = []
    related: list[Dependency] = []
    for dep in dependencies:
        if item_id not in (dep.blocking_item_id, dep.blocked_item_id):
            continue
        if dep.dependency_type is DependencyType.RELATES_TO:
            related.append(dep)
        elif dep.blocked_item_id == item_id:
            blocking.append(dep)
        elif dep.blocking_item_id == item_id:
            blocked.append(dep)
    return ItemDependencies(blocking, blocked, related)


def find_cycle(links: Iterable[tuple[str, str, str]]) -> str | None:
    """The id of a `blocks` link that lies on a cycle, or None when the links are acyclic.

    `links` are (link id, blocking item, blocked item). Kahn's algorithm takes away the
    items nothing still blocks; each item left is blocked by another item left, so walking
    from one to what blocks it must come back to an item already passed: that closes a
    cycle.
    """
    edges: dict[str, list[str]] = {}
    blockers: dict[str, list[tuple[str, str]]] = {}
    waiting: dict[str, int] = {}
    for link_id, blocking, blocked in links:
        edges.setdefault(blocking, []).append(blocked)
        blockers.setdefault(blocked, []).append((link_id, blocking))
        waiting[blocked] = waiting.get(blocked, 0) + 1
        waiting.setdefault(blocking, 0)
    free = [item for item, count in waiting.items() if count == 0]
    while free:
        for blocked in edges.get(free.pop(), ()):
            waiting[blocked] -= 1
            if waiting[blocked] == 0:
                free.append(blocked)
    stuck = {item for item, count in waiting.items() if count}
    if not stuck:
        return None
    item, passed = min(stuck), set[str]()
    while True:
        passed.add(item)
        link_id, blocking = next(lb for lb in blockers[item] if lb[1] in stuck)
        if blocking in passed:
            return link_id
        item = blocking
