"""pm_work_items."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from pm.core.enums import Priority, WorkItemType
from pm.core.members import Role
from pm.core.records import record
from pm.core.work_items import UPDATABLE_FIELDS, WorkItem
from pm.db.executor import Executor, Statement
from pm.db.query import Query, sql
from pm.db.repos.swim_lanes import done_statuses
from pm.db.rows import columns, insert_query, mapper, params, update_query

COLS = columns(WorkItem)
_row = mapper(WorkItem, item_type=WorkItemType, priority=Priority)
_WRITE_FIELDS = (*UPDATABLE_FIELDS, "version", "updated_at", "updated_by", "deleted_at")

_GET = sql(f"SELECT {COLS} FROM pm_work_items WHERE id = :id AND deleted_at IS NULL")
_ROLE_JOIN = (
    "LEFT JOIN pm_project_members m ON m.project_id = w.project_id AND m.user_id = :user_id"
)
_GET_WITH_ROLE = sql(
    f"SELECT {columns(WorkItem, 'w')}, m.role FROM pm_work_items w {_ROLE_JOIN} "
    "WHERE w.id = :id AND w.deleted_at IS NULL"
)
_BY_KEY_WITH_ROLE = sql(
    f"SELECT {columns(WorkItem, 'w')}, m.role FROM pm_work_items w JOIN pm_projects p "
    f"ON p.id = w.project_id {_ROLE_JOIN} WHERE p.key = :project_key "
    "AND w.item_number = :number AND w.deleted_at IS NULL"
)
_BY_NUMBER = sql(
    f"SELECT {COLS} FROM pm_work_items WHERE project_id = :project_id "
    "AND item_number = :number AND deleted_at IS NULL"
)
# The same lookups, also telling whether a status has a live lane in the item's project
# (a status change checks that; one statement instead of two).
_HAS_LANE = (
    "EXISTS (SELECT 1 FROM pm_swim_lanes l WHERE l.project_id = w.project_id "
    "AND l.status_value = :status AND l.deleted_at IS NULL)"
)
_GET_WITH_ROLE_AND_LANE = sql(
    f"SELECT {columns(WorkItem, 'w')}, m.role, {_HAS_LANE} FROM pm_work_items w "
    f"{_ROLE_JOIN} WHERE w.id = :id AND w.deleted_at IS NULL"
)
_BY_KEY_WITH_ROLE_AND_LANE = sql(
    f"SELECT {columns(WorkItem, 'w')}, m.role, {_HAS_LANE} FROM pm_work_items w "
    f"JOIN pm_projects p ON p.id = w.project_id {_ROLE_JOIN} WHERE p.key = :project_key "
    "AND w.item_number = :number AND w.deleted_at IS NULL"
)
# An item with its ancestors and descendants, in one statement (a request's one round
# trip on PostgreSQL). A walk runs only where it can find something (a parent; a live
# child): a recursive walk costs PostgreSQL more than the item's lookup does. Each walk
# comes back as one JSON array of [depth, id] pairs, put in order here (an aggregate's
# input order is not a promise SQLite 3.40 makes).
_DETAIL = (
    "SELECT {cols}, m.role, "
    "CASE WHEN w.parent_id IS NOT NULL THEN (WITH RECURSIVE up(id, parent_id, depth) AS ("
    "SELECT a.id, a.parent_id, 1 FROM pm_work_items a WHERE a.id = w.parent_id UNION ALL "
    "SELECT a.id, a.parent_id, up.depth + 1 FROM pm_work_items a JOIN up ON a.id = up.parent_id "
    "WHERE up.depth < 16) SELECT {agg} FROM up) END, "
    "CASE WHEN EXISTS (SELECT 1 FROM pm_work_items c WHERE c.parent_id = w.id "
    "AND c.deleted_at IS NULL) THEN (WITH RECURSIVE down(id, depth) AS ("
    "SELECT d.id, 1 FROM pm_work_items d WHERE d.parent_id = w.id AND d.deleted_at IS NULL "
    "UNION ALL SELECT d.id, down.depth + 1 FROM pm_work_items d JOIN down "
    "ON d.parent_id = down.id WHERE d.deleted_at IS NULL AND down.depth < 16) "
    "SELECT {agg} FROM down) END "
    "FROM pm_work_items w {join}{role} WHERE {where} AND w.deleted_at IS NULL"
)
_AGG = {
    "sqlite": "json_group_array(json_array(depth, id))",
    "postgresql": "json_agg(json_build_array(depth, id))",
}


def _detail_query(join: str, where: str) -> Query:
    texts = {
        dialect: _DETAIL.format(
            cols=columns(WorkItem, "w"), join=join, role=_ROLE_JOIN, where=where, agg=agg
        )
        for dialect, agg in _AGG.items()
    }
    return sql(texts["sqlite"], postgresql=texts["postgresql"])


_DETAIL_BY_ID = _detail_query("", "w.id = :id")
_DETAIL_BY_KEY = _detail_query(
    "JOIN pm_projects p ON p.id = w.project_id ", "p.key = :project_key AND w.item_number = :number"
)
_STAMP = ("version", "updated_at", "updated_by")
_INSERT = insert_query("pm_work_items", WorkItem)
_WRITABLE = frozenset(_WRITE_FIELDS)
_ANCESTORS = sql(
    "WITH RECURSIVE anc(id, parent_id, depth) AS ("
    " SELECT id, parent_id, 0 FROM pm_work_items WHERE id = :id"
    " UNION ALL"
    " SELECT w.id, w.parent_id, anc.depth + 1 FROM pm_work_items w"
    " JOIN anc ON w.id = anc.parent_id WHERE anc.depth < 16"
    ") SELECT id FROM anc WHERE depth > 0 ORDER BY depth"
)
_DESCENDANTS = sql(
    "WITH RECURSIVE d(id, depth) AS ("
    " SELECT id, 1 FROM pm_work_items WHERE parent_id = :id AND deleted_at IS NULL"
    " UNION ALL"
    " SELECT w.id, d.depth + 1 FROM pm_work_items w JOIN d ON w.parent_id = d.id"
    " WHERE w.deleted_at IS NULL AND d.depth < 16"
    ") SELECT id FROM d ORDER BY depth, id"
)
_COUNT_STATUS = sql(
    "SELECT COUNT(*) FROM pm_work_items "
    "WHERE project_id = :project_id AND status = :status AND deleted_at IS NULL"
)
_IN_SPRINT = sql(
    f"SELECT {COLS} FROM pm_work_items "
    "WHERE sprint_id = :sprint_id AND deleted_at IS NULL ORDER BY item_number"
)
_DELETE_PROJECT = sql(
    "UPDATE pm_work_items SET deleted_at = :now, updated_at = :now, "
    "updated_by = :user_id, version = version + 1 "
    "WHERE project_id = :project_id AND deleted_at IS NULL"
)


@record
class ItemFilter:
    """Filters of the per-project list; None means "any"."""

    item_type: WorkItemType | None = None
    status: str | None = None
    assignee_id: str | None = None
    sprint_id: str | None = None
    backlog: bool = False  # only items in no sprint
    parent_id: str | None = None
    text: str | None = None
    updated_since: int | None = None
    orphaned: bool = False  # only items without a parent
    descendants_of: str | None = None  # an item id: only items below it
    ancestors_of: str | None = None  # an item id: only items above it
    include_done: bool = True  # False: leave out items in a done lane


# The hierarchy filters walk the tree from one item (both walks stop at 16 levels, as the
# other tree walks do; the hierarchy has three). The walk drives the query (CROSS JOIN keeps
# SQLite from scanning the whole project in item order instead): a subtree is small.
_BELOW = (
    "below(tree_id, tree_depth) AS (SELECT id, 1 FROM pm_work_items"
    " WHERE parent_id = :descendants_of UNION ALL SELECT w.id, below.tree_depth + 1"
    " FROM pm_work_items w JOIN below ON w.parent_id = below.tree_id"
    " WHERE below.tree_depth < 16)"
)
_ABOVE = (
    "above(tree_id, tree_parent, tree_depth) AS (SELECT id, parent_id, 0 FROM pm_work_items"
    " WHERE id = :ancestors_of UNION ALL SELECT w.id, w.parent_id, above.tree_depth + 1"
    " FROM pm_work_items w JOIN above ON w.id = above.tree_parent WHERE above.tree_depth < 16)"
)
_WALKS = {"below": _BELOW, "above": _ABOVE}
_LIST_CACHE: dict[tuple[str, ...], Query] = {}


def _list_query(flt: ItemFilter) -> tuple[Query, dict[str, object]]:
    """The (cached) statement for this combination of filters, with its parameters."""
    conds: list[str] = []
    values: dict[str, object] = {}
    for name in ("item_type", "status", "assignee_id", "sprint_id", "parent_id"):
        value = getattr(flt, name)
        if value is not None:
            conds.append(f"{name} = :{name}")
            values[name] = value
    if flt.backlog:
        conds.append("sprint_id IS NULL")
    if flt.orphaned:
        conds.append("parent_id IS NULL")
    if not flt.include_done:
        conds.append(f"status NOT IN ({done_statuses()})")
    walks: list[str] = []
    if flt.descendants_of is not None:
        walks.append("below")
        values["descendants_of"] = flt.descendants_of
    if flt.ancestors_of is not None:
        walks.append("above")
        conds.append("above.tree_depth > 0")
        values["ancestors_of"] = flt.ancestors_of
    conds.extend(f"id = {walk}.tree_id" for walk in walks)
    if flt.updated_since is not None:
        conds.append("updated_at >= :updated_since")
        values["updated_since"] = flt.updated_since
    if flt.text:
        escaped = flt.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(
            "(lower(title) LIKE :text ESCAPE '\\' "
            "OR lower(coalesce(description, '')) LIKE :text ESCAPE '\\')"
        )
        values["text"] = f"%{escaped}%"
    key = tuple(conds)
    query = _LIST_CACHE.get(key)
    if query is None:
        where = "".join(f" AND {c}" for c in conds)
        ctes = ", ".join(_WALKS[walk] for walk in walks)
        with_ = f"WITH RECURSIVE {ctes} " if ctes else ""
        tables = "".join(f"{walk} CROSS JOIN " for walk in walks)
        query = sql(
            f"{with_}SELECT {COLS} FROM {tables}pm_work_items WHERE project_id = :project_id"
            f" AND deleted_at IS NULL{where} AND item_number > :after"
            " ORDER BY item_number LIMIT :limit",
            "list work items",
        )
        _LIST_CACHE[key] = query
    return query, values


async def get(ex: Executor, item_id: str) -> WorkItem | None:
    """A live work item by id."""
    row = await ex.one(_GET, {"id": item_id})
    return None if row is None else _row(row)


_MANY = 100  # ids per statement of get_many
_GET_MANY = sql(
    f"SELECT {COLS} FROM pm_work_items WHERE deleted_at IS NULL AND id IN "
    f"({', '.join(f':id{i}' for i in range(_MANY))})"
)


async def get_many(ex: Executor, item_ids: Sequence[str]) -> dict[str, WorkItem]:
    """The live work items among `item_ids`, by id (one statement per 100 ids)."""
    found: dict[str, WorkItem] = {}
    for start in range(0, len(item_ids), _MANY):
        chunk = list(item_ids[start : start + _MANY])
        padded = chunk + chunk[-1:] * (_MANY - len(chunk))  # a repeated id matches once
        rows = await ex.all(_GET_MANY, {f"id{i}": value for i, value in enumerate(padded)})
        found.update((item.id, item) for item in map(_row, rows))
    return found


async def get_by_number(ex: Executor, project_id: str, number: int) -> WorkItem | None:
    """A live work item of a project by its number (the 42 of PONE-42)."""
    row = await ex.one(_BY_NUMBER, {"project_id": project_id, "number": number})
    return None if row is None else _row(row)


async def get_with_role(
    ex: Executor, item_id: str, user_id: str
) -> tuple[WorkItem, Role | None] | None:
    """A live work item by id, with `user_id`'s role in its project (one statement)."""
    row = await ex.one(_GET_WITH_ROLE, {"id": item_id, "user_id": user_id})
    return None if row is None else (_row(row[:-1]), _role(row[-1]))


async def get_by_key_with_role(
    ex: Executor, project_key: str, number: int, user_id: str
) -> tuple[WorkItem, Role | None] | None:
    """A live work item by key, with `user_id`'s role in its project (one statement)."""
    values = {"project_key": project_key, "number": number, "user_id": user_id}
    row = await ex.one(_BY_KEY_WITH_ROLE, values)
    return None if row is None else (_row(row[:-1]), _role(row[-1]))


async def get_with_role_and_lane(
    ex: Executor, key: tuple[str, int] | str, user_id: str, status: str
) -> tuple[WorkItem, Role | None, bool] | None:
    """A live work item by id or (project key, number), with `user_id`'s role in its
    project and whether `status` has a live lane there (one statement)."""
    query = _GET_WITH_ROLE_AND_LANE if isinstance(key, str) else _BY_KEY_WITH_ROLE_AND_LANE
    values: dict[str, object] = (
        {"id": key} if isinstance(key, str) else {"project_key": key[0], "number": key[1]}
    )
    row = await ex.one(query, {**values, "user_id": user_id, "status": status})
    return None if row is None else (_row(row[:-2]), _role(row[-2]), bool(row[-1]))


@record
class ItemTree:
    """A live work item, `user_id`'s role in its project, and the ids around it."""

    item: WorkItem
    role: Role | None
    ancestor_ids: list[str]  # parent first, up to the root
    descendant_ids: list[str]  # nearest first (by depth, then id)


async def get_tree_with_role(
    ex: Executor, key: tuple[str, int] | str, user_id: str
) -> ItemTree | None:
    """A live work item by id or (project key, number) with `user_id`'s role in its project,
    its ancestors and its live descendants (one statement)."""
    if isinstance(key, str):
        row = await ex.one(_DETAIL_BY_ID, {"id": key, "user_id": user_id})
    else:
        values = {"project_key": key[0], "number": key[1], "user_id": user_id}
        row = await ex.one(_DETAIL_BY_KEY, values)
    if row is None:
        return None
    return ItemTree(_row(row[:-3]), _role(row[-3]), _walk(row[-2]), _walk(row[-1]))


def _walk(pairs: str | None) -> list[str]:
    """The ids of a walk's JSON [[depth, id], ...], by depth then id."""
    if pairs is None:  # nothing to walk (or PostgreSQL's json_agg of no rows)
        return []
    return [ident for _, ident in sorted(json.loads(pairs))]


def _role(value: str | None) -> Role | None:
    return None if value is None else Role(value)


async def list_for_project(
    ex: Executor, project_id: str, flt: ItemFilter, after: int, limit: int
) -> list[WorkItem]:
    """Live items of a project matching `flt`, by item number, after the cursor number."""
    query, values = _list_query(flt)
    values.update(project_id=project_id, after=after, limit=limit)
    return [_row(r) for r in await ex.all(query, values)]


_OPEN_FIRST = sql(
    f"SELECT {COLS} FROM pm_work_items WHERE project_id = :project_id AND deleted_at IS NULL "
    f"ORDER BY CASE WHEN status IN ({done_statuses()}) THEN 1 ELSE 0 END, item_number "
    "LIMIT :limit",
    "items for a snapshot",
)


async def open_first(ex: Executor, project_id: str, limit: int) -> list[WorkItem]:
    """Up to `limit` live items of a project: the open ones, then the done ones."""
    rows = await ex.all(_OPEN_FIRST, {"project_id": project_id, "limit": limit})
    return [_row(r) for r in rows]


async def list_in_sprint(ex: Executor, sprint_id: str) -> list[WorkItem]:
    """Live items assigned to a sprint."""
    return [_row(r) for r in await ex.all(_IN_SPRINT, {"sprint_id": sprint_id})]


async def ancestor_ids(ex: Executor, item_id: str) -> list[str]:
    """Parent, grandparent, ... up to the root."""
    return [r[0] for r in await ex.all(_ANCESTORS, {"id": item_id})]


async def descendant_ids(ex: Executor, item_id: str) -> list[str]:
    """Every live item below this one, nearest first."""
    return [r[0] for r in await ex.all(_DESCENDANTS, {"id": item_id})]


async def count_with_status(ex: Executor, project_id: str, status: str) -> int:
    """How many live items of the project have `status`."""
    row = await ex.one(_COUNT_STATUS, {"project_id": project_id, "status": status})
    return int(row[0]) if row else 0


def inserting(item: WorkItem) -> Statement:
    """The write storing a new work item."""
    return _INSERT.one(item)


async def insert_many(ex: Executor, items: Sequence[WorkItem]) -> None:
    """Store new work items (one statement)."""
    await ex.run_many(*_INSERT.many(items))


async def update(ex: Executor, item: WorkItem, changed: Iterable[str] | None = None) -> None:
    """Store a changed work item: the `changed` columns and the version stamp (default all).

    A status change that names only `status` leaves the item's other indexes alone.
    """
    names = _WRITE_FIELDS if changed is None else (*changed, *_STAMP)
    if not _WRITABLE.issuperset(names):
        raise ValueError(f"not writable work item fields: {sorted(set(names) - _WRITABLE)}")
    await ex.run(update_query("pm_work_items", names), params(item, (*names, "id")))


async def delete_for_project(ex: Executor, project_id: str, now: int, user_id: str) -> int:
    """Soft-delete every live item of a project; returns how many."""
    return await ex.run(_DELETE_PROJECT, {"project_id": project_id, "now": now, "user_id": user_id})
