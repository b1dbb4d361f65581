"""Ready work and the critical path: reads across pm_work_items and pm_dependencies.

Plain SQL both SQLite and PostgreSQL run as written (a CTE, correlated subqueries, a
window count); "done" is `swim_lanes.done_statuses`, checked in each item's own project,
since a `blocks` link may cross projects.
"""

from __future__ import annotations

from pm.core.enums import Priority, SprintStatus, WorkItemType
from pm.core.planning import PRIORITY_ORDER, UNSET_POINTS_WEIGHT, ReadyItem
from pm.core.records import record
from pm.core.swim_lanes import DONE_STATUS
from pm.core.work_items import WorkItem
from pm.db.executor import Executor
from pm.db.query import Query, sql
from pm.db.repos.swim_lanes import done_statuses
from pm.db.rows import columns, field_names, mapper

# The conditions of the live-`blocks` indexes (revision 0009), named in full so they apply.
_LIVE_BLOCKS = "{d}.dependency_type = 'blocks' AND {d}.deleted_at IS NULL"
# The statuses that count as done in :project_id, listed once per statement.
_DONE = f"done(status_value) AS ({done_statuses()})"


def _open_here(item: str) -> str:
    """SQL: the item `item` (an alias), known to be in :project_id, is live and not done."""
    return f"{item}.deleted_at IS NULL AND {item}.status NOT IN (SELECT status_value FROM done)"


def _open(item: str) -> str:
    """SQL: the item `item` is live and not done in its own project.

    Most links stay inside the project: those items are checked against the `done` list
    of the statement; an item of another project looks up its own lanes (two index
    lookups: its lane, that project's Done lane).
    """
    return (
        f"{item}.deleted_at IS NULL AND CASE WHEN {item}.project_id = :project_id "
        f"THEN {item}.status NOT IN (SELECT status_value FROM done) "
        "ELSE NOT EXISTS (SELECT 1 FROM pm_swim_lanes xl JOIN pm_swim_lanes xd "
        f"ON xd.project_id = xl.project_id AND xd.status_value = '{DONE_STATUS}' "
        f"AND xd.deleted_at IS NULL WHERE xl.project_id = {item}.project_id "
        f"AND xl.status_value = {item}.status AND xl.deleted_at IS NULL "
        "AND xl.position >= xd.position) END"
    )


def _open_blocker(item: str, besides: str | None = None) -> str:
    """SQL: an open item other than `besides` blocks `item`."""
    other = f" AND bw.id <> {besides}" if besides else ""
    return (
        "EXISTS (SELECT 1 FROM pm_dependencies bd JOIN pm_work_items bw "
        f"ON bw.id = bd.blocking_item_id WHERE bd.blocked_item_id = {item}.id "
        f"AND {_LIVE_BLOCKS.format(d='bd')} AND {_open('bw')}{other})"
    )


# How many open items `r` is the last open blocker of.
_UNBLOCKS = (
    "(SELECT count(*) FROM pm_dependencies ud JOIN pm_work_items uw "
    f"ON uw.id = ud.blocked_item_id WHERE ud.blocking_item_id = r.id "
    f"AND {_LIVE_BLOCKS.format(d='ud')} AND {_open('uw')} "
    f"AND NOT {_open_blocker('uw', besides='r.id')})"
)
_PRIORITY_RANK = (
    "CASE w.priority "
    + " ".join(f"WHEN '{p.value}' THEN {rank}" for rank, p in enumerate(PRIORITY_ORDER))
    + f" ELSE {len(PRIORITY_ORDER)} END"
)
# The active sprint is looked up once, not joined to every item.
_SPRINT_RANK = (
    "CASE WHEN w.sprint_id = (SELECT sa.id FROM pm_sprints sa WHERE sa.project_id = :project_id "
    f"AND sa.status = '{SprintStatus.ACTIVE.value}' AND sa.deleted_at IS NULL) THEN 0 ELSE 1 END"
)
_ORDER = ("rank_priority", "rank_sprint", "position", "item_number")


@record
class ReadyFilter:
    """Filters of the ready list; None means "any"."""

    assignee_id: str | None = None
    sprint_id: str | None = None


_READY_CACHE: dict[tuple[str, ...], Query] = {}


def _ready_query(flt: ReadyFilter) -> tuple[Query, dict[str, object]]:
    """The (cached) ready statement for this combination of filters, with its parameters.

    The inner query finds, counts and orders the ready items and keeps one page; only
    that page's items count what they unblock.
    """
    conds: list[str] = []
    values: dict[str, object] = {}
    for name in ("assignee_id", "sprint_id"):
        value = getattr(flt, name)
        if value is not None:
            conds.append(f" AND w.{name} = :{name}")
            values[name] = value
    key = tuple(conds)
    query = _READY_CACHE.get(key)
    if query is None:
        # `ready` holds only ids and sort keys (used twice, so materialised once): the sort
        # and the count stay light, and only the page's rows are read in full.
        query = sql(
            f"WITH {_DONE}, ready AS (SELECT w.id, "
            f"{_PRIORITY_RANK} AS rank_priority, {_SPRINT_RANK} AS rank_sprint, "
            "w.position, w.item_number FROM pm_work_items w "
            "WHERE w.project_id = :project_id "
            f"AND w.item_type <> '{WorkItemType.EPIC.value}' "
            f"AND {_open_here('w')} AND NOT {_open_blocker('w')}"
            f"{''.join(conds)}), "
            f"page AS (SELECT * FROM ready ORDER BY {', '.join(_ORDER)} LIMIT :limit) "
            f"SELECT {columns(WorkItem, 'r')}, (SELECT count(*) FROM ready), {_UNBLOCKS} "
            "FROM page JOIN pm_work_items r ON r.id = page.id "
            f"ORDER BY {', '.join(f'page.{c}' for c in _ORDER)}",
            "ready work",
        )
        _READY_CACHE[key] = query
    return query, values


_ITEM_COLUMNS = len(field_names(WorkItem))
_ready_row = mapper(ReadyItem, item_type=WorkItemType, priority=Priority)


async def ready(
    ex: Executor, project_id: str, flt: ReadyFilter, limit: int
) -> tuple[list[ReadyItem], int]:
    """A project's first `limit` ready items in order, and how many are ready in all."""
    query, values = _ready_query(flt)
    rows = await ex.all(query, {**values, "project_id": project_id, "limit": limit})
    items = [_ready_row((*r[:_ITEM_COLUMNS], [], int(r[-1]))) for r in rows]
    return items, int(rows[0][-2]) if rows else 0


def _weight(item: str) -> str:
    return f"coalesce({item}.story_points, {UNSET_POINTS_WEIGHT})"


# The open `blocks` links between a project's open items, each with both weights, and the
# heaviest open item on its own (a chain of one; ties: the smaller id). Both parts read the
# items from the status index alone; CROSS JOIN keeps SQLite's join order (item, its links,
# the linked item by id) where, without statistics, it would walk the project's items for
# every link instead.
_GRAPH = sql(
    f"WITH {_DONE} SELECT a.id, b.id, {_weight('a')}, {_weight('b')} FROM pm_work_items a "
    "CROSS JOIN pm_dependencies d CROSS JOIN pm_work_items b "
    f"WHERE a.project_id = :project_id AND {_open_here('a')} AND d.blocking_item_id = a.id "
    f"AND {_LIVE_BLOCKS.format(d='d')} AND b.id = d.blocked_item_id "
    f"AND b.project_id = :project_id AND {_open_here('b')} "
    "UNION ALL SELECT heaviest.id, NULL, heaviest.weight, NULL FROM "
    f"(SELECT h.id, {_weight('h')} AS weight FROM pm_work_items h "
    f"WHERE h.project_id = :project_id AND {_open_here('h')} "
    "ORDER BY weight DESC, h.id LIMIT 1) heaviest",
    "critical path graph",
)


@record
class OpenGraph:
    """The open items that can be on a chain, with their weights, and the links among them."""

    weights: dict[str, int]
    edges: list[tuple[str, str]]


async def open_graph(ex: Executor, project_id: str) -> OpenGraph:
    """What the critical path of a project is computed from (one statement)."""
    weights: dict[str, int] = {}
    edges: list[tuple[str, str]] = []
    for a, b, weight_a, weight_b in await ex.all(_GRAPH, {"project_id": project_id}):
        weights[a] = int(weight_a)
        if b is not None:
            weights[b] = int(weight_b)
            edges.append((a, b))
    return OpenGraph(weights, edges)


# Open items of the project waiting on open blockers (in any project), with those keys.
_BLOCKED = sql(
    f"WITH {_DONE} SELECT w.id, bw.key FROM pm_work_items w JOIN pm_dependencies bd "
    f"ON bd.blocked_item_id = w.id AND {_LIVE_BLOCKS.format(d='bd')} "
    "JOIN pm_work_items bw ON bw.id = bd.blocking_item_id "
    f"WHERE w.project_id = :project_id AND {_open_here('w')} AND {_open('bw')} "
    "ORDER BY w.item_number, bw.key",
    "blocked items",
)


async def blocked(ex: Executor, project_id: str) -> dict[str, list[str]]:
    """The project's open items that open items block, each with its blockers' keys."""
    found: dict[str, list[str]] = {}
    for item_id, blocker_key in await ex.all(_BLOCKED, {"project_id": project_id}):
        found.setdefault(item_id, []).append(blocker_key)
    return found
