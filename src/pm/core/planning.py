"""What to work on next: ready work (nothing open blocks it) and the critical path.

"Open" means not done (see `pm.core.swim_lanes.DONE_STATUS`); only `blocks` links order
work, `relates_to` never does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pm.core.enums import Priority
from pm.core.records import record
from pm.core.work_items import WorkItem

# Ready work comes most urgent first.
PRIORITY_ORDER = (Priority.CRITICAL, Priority.HIGH, Priority.MEDIUM, Priority.LOW)
UNSET_POINTS_WEIGHT = 1  # an item without story points weighs this much on the critical path


@record
class ReadyItem(WorkItem):
    """An open item with nothing open blocking it (`blocked_by` is therefore empty; the
    snapshot's blocked entries share the field), and how many open items it unblocks:
    those whose last open blocker it is."""

    blocked_by: list[str]
    unblocks: int


@record
class ReadyWork:
    """Ready items in the order to take them, and how many there are in all."""

    items: list[ReadyItem]
    total: int


@record
class CriticalPath:
    """The heaviest chain of open items linked by `blocks`, first to do first, and its
    weight: the sum of the items' story points, an item without points counting 1."""

    items: list[WorkItem]
    total: int


def weight(story_points: int | None) -> int:
    """An item's weight on the critical path."""
    return UNSET_POINTS_WEIGHT if story_points is None else story_points


def heaviest_chain(
    weights: Mapping[str, int], edges: Iterable[tuple[str, str]]
) -> tuple[list[str], int]:
    """The path of greatest total weight through the graph (`edges`: blocking → blocked),
    in order, with its weight; every item of `weights` is a path of one on its own.

    Linear in items and edges (a topological pass keeping the best chain into each item).
    Ties are broken the same way every time (an item extends a chain rather than starting
    one; the smaller id wins), so the answer is stable.
    Items on a cycle (the rules never let one form) are left out.
    """
    successors: dict[str, list[str]] = {node: [] for node in weights}
    waiting = dict.fromkeys(weights, 0)
    for blocking, blocked in edges:
        if blocking in weights and blocked in weights:
            successors[blocking].append(blocked)
            waiting[blocked] += 1
    best = {node: weights[node] for node in weights}  # heaviest chain ending at the node
    previous: dict[str, str] = {}
    ready = sorted(node for node, count in waiting.items() if count == 0)
    order: list[str] = []
    while ready:
        node = ready.pop()
        order.append(node)
        for nxt in successors[node]:
            through, current = best[node] + weights[nxt], previous.get(nxt)
            if through > best[nxt] or (
                through == best[nxt] and (current is None or node < current)
            ):
                best[nxt], previous[nxt] = through, node
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    if not order:
        return [], 0
    end = min(order, key=lambda node: (-best[node], node))
    chain = [end]
    while chain[-1] in previous:
        chain.append(previous[chain[-1]])
    chain.reverse()
    return chain, best[end]
