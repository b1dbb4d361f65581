"""What to work on next in a project: its ready work and its critical path (viewers may ask)."""

from __future__ import annotations

from pm.core.planning import CriticalPath, ReadyWork, heaviest_chain, weight
from pm.db.repos import planning as repo
from pm.db.repos import work_items as item_repo
from pm.db.repos.planning import ReadyFilter
from pm.service import lookups
from pm.service.access import VIEW
from pm.service.uow import Reader


async def ready_work(reader: Reader, project_id: str, flt: ReadyFilter, limit: int) -> ReadyWork:
    """The open stories and tasks nothing open blocks, most urgent first (one statement)."""
    project = await lookups.project(reader, project_id, VIEW)
    items, total = await repo.ready(reader.ex, project.id, flt, limit)
    return ReadyWork(items, total)


async def critical_path(reader: Reader, project_id: str) -> CriticalPath:
    """The heaviest chain of open items linked by `blocks` (two statements for a chain of up
    to 100 items: the open graph, then the chain's items)."""
    project = await lookups.project(reader, project_id, VIEW)
    graph = await repo.open_graph(reader.ex, project.id)
    chain, _total = heaviest_chain(graph.weights, graph.edges)
    found = await item_repo.get_many(reader.ex, chain)
    # An item deleted between the two statements (another process) drops out of the answer.
    items = [found[i] for i in chain if i in found]
    return CriticalPath(items, sum(weight(item.story_points) for item in items))
