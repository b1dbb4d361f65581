"""Whole tables, read in pages and written row by row: the export and import of a tenant.

Every entity's fields are its table's columns, so one description per table serves both
directions. Rows are read in keyset pages (by primary key), each page one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pm.core.activity import ActivityEntry
from pm.core.comments import Comment
from pm.core.dependencies import Dependency
from pm.core.enums import (
    DependencyType,
    EntityType,
    Priority,
    ProjectStatus,
    SprintStatus,
    WorkItemType,
)
from pm.core.members import ProjectMember, Role
from pm.core.projects import Project
from pm.core.records import record
from pm.core.sprints import Sprint
from pm.core.swim_lanes import SwimLane
from pm.core.time_entries import TimeEntry
from pm.core.work_items import WorkItem
from pm.db.executor import Executor
from pm.db.query import Query, Row, sql
from pm.db.rows import columns, field_names, insert_query, mapper, update_query

PAGE = 500
_IN_PROJECT_ITEMS = "(SELECT id FROM pm_work_items WHERE project_id = :project_id)"


@record
class Section:
    """One table of the export document, in the order parents come before children."""

    name: str  # the document's key
    table: str
    cls: type
    key: tuple[str, ...]  # the primary key (the keyset order)
    in_project: str  # WHERE condition selecting one project's rows (:project_id)
    converters: tuple[tuple[str, Callable[[Any], Any]], ...] = ()
    split: str | None = None  # read in one pass per value of this column (in `splits` order)
    splits: tuple[str, ...] = ()
    order: tuple[str, ...] = ()  # the keyset order of the pages (an index), if not `key`


def _section(
    name: str,
    table: str,
    cls: type,
    in_project: str = "project_id = :project_id",
    key: tuple[str, ...] = ("id",),
    split: tuple[str, tuple[str, ...]] | None = None,
    order: tuple[str, ...] = (),
    **converters: Callable[[Any], Any],
) -> Section:
    column, values = split if split is not None else (None, ())
    conv = tuple(converters.items())
    return Section(name, table, cls, key, in_project, conv, column, values, order or key)


SECTIONS = (
    _section("projects", "pm_projects", Project, "id = :project_id", status=ProjectStatus),
    _section("swim_lanes", "pm_swim_lanes", SwimLane, is_default=bool),
    _section(
        "members", "pm_project_members", ProjectMember, key=("project_id", "user_id"), role=Role
    ),
    _section("sprints", "pm_sprints", Sprint, status=SprintStatus),
    # Epics, then stories, then tasks: every parent before its children.
    _section(
        "work_items",
        "pm_work_items",
        WorkItem,
        split=("item_type", tuple(t.value for t in WorkItemType)),
        # The unique (project_id, item_number) index: one project's page is a range of it.
        order=("project_id", "item_number"),
        item_type=WorkItemType,
        priority=Priority,
    ),
    _section("comments", "pm_comments", Comment),
    _section(
        "dependencies",
        "pm_dependencies",
        Dependency,
        f"blocking_item_id IN {_IN_PROJECT_ITEMS} AND blocked_item_id IN {_IN_PROJECT_ITEMS}",
        dependency_type=DependencyType,
    ),
    _section("time_entries", "pm_time_entries", TimeEntry),
    _section("activity", "pm_activity_log", ActivityEntry, entity_type=EntityType),
)
BY_NAME = {s.name: s for s in SECTIONS}


class _Statements:
    """The statements of one section, built once."""

    def __init__(self, section: Section) -> None:
        self.section = section
        key, table = section.key, section.table
        self.names = field_names(section.cls)
        self.key_at = tuple(self.names.index(k) for k in section.order)
        match = " AND ".join(f"{k} = :{k}" for k in key)
        self.get = sql(f"SELECT {columns(section.cls)} FROM {table} WHERE {match}")
        self.insert = insert_query(table, section.cls)
        values = tuple(n for n in self.names if n not in key)
        self.update: Query = (
            update_query(table, values, key[0])
            if len(key) == 1
            else sql(f"UPDATE {table} SET {', '.join(f'{n} = :{n}' for n in values)} WHERE {match}")
        )
        self.row: Callable[[Row], Any] = mapper(section.cls, **dict(section.converters))
        self._pages: dict[tuple[bool, bool, bool], Query] = {}

    def page(self, scoped: bool, after: bool, split: bool) -> Query:
        """The page statement: one project's rows or all, after a key or from the start,
        of one value of the split column or of every value."""
        flags = (scoped, after, split)
        query = self._pages.get(flags)
        if query is None:
            section, key = self.section, self.section.order
            where = [f"({section.in_project})"] if scoped else []
            if after and len(key) == 1:
                where.append(f"{key[0]} > :k0")
            elif after and scoped and key[0] == "project_id":  # within one project: a range
                where.append(f"{key[1]} > :k1")
            elif after:
                keys = ", ".join(f":k{i}" for i in range(len(key)))
                where.append(f"({', '.join(key)}) > ({keys})")
            if split:
                where.append(f"{section.split} = :split")
            condition = f" WHERE {' AND '.join(where)}" if where else ""
            query = self._pages[flags] = sql(
                f"SELECT {columns(section.cls)} FROM {section.table}{condition} "
                f"ORDER BY {', '.join(key)} LIMIT :limit"
            )
        return query


_STATEMENTS = {s.name: _Statements(s) for s in SECTIONS}


async def page(
    ex: Executor,
    section: str,
    after: Row | None,
    project_id: str | None,
    split: str | None = None,
    limit: int = PAGE,
) -> tuple[list[Any], Row | None]:
    """One page of a section's rows (deleted ones too) after `after` (in the section's
    order), and where to continue (None at the end); `split`: only rows of this value of
    the section's split column."""
    st = _STATEMENTS[section]
    params: dict[str, object] = {"limit": limit}
    if project_id is not None:
        params["project_id"] = project_id
    if after is not None:
        params.update({f"k{i}": v for i, v in enumerate(after)})
    if split is not None:
        params["split"] = split
    query = st.page(project_id is not None, after is not None, split is not None)
    rows = await ex.all(query, params)
    entities = [st.row(r) for r in rows]
    if len(rows) < limit:
        return entities, None
    return entities, tuple(rows[-1][i] for i in st.key_at)


async def get(ex: Executor, section: str, entity: Any) -> Any | None:
    """The stored row with the same primary key as `entity` (deleted or not), or None."""
    return await get_by_key(ex, section, {k: getattr(entity, k) for k in BY_NAME[section].key})


async def get_by_key(ex: Executor, section: str, key: dict[str, object]) -> Any | None:
    """The stored row with this primary key (deleted or not), or None."""
    st = _STATEMENTS[section]
    row = await ex.one(st.get, key)
    return None if row is None else st.row(row)


async def insert_many(ex: Executor, section: str, entities: Sequence[Any]) -> None:
    """Insert rows as they are (ids, keys and timestamps kept)."""
    if entities:
        query, rows = _STATEMENTS[section].insert.many(entities)
        await ex.run_many(query, rows)


async def replace(ex: Executor, section: str, entity: Any) -> None:
    """Overwrite every column of the stored row with the same primary key."""
    st = _STATEMENTS[section]
    _, values = st.insert.one(entity)
    await ex.run(st.update, {n: values.get(n) for n in st.names})


_ANY_PROJECT = sql("SELECT 1 FROM pm_projects LIMIT 1")
_LIVE_BLOCKS = sql(
    "SELECT id, blocking_item_id, blocked_item_id FROM pm_dependencies "
    "WHERE dependency_type = 'blocks' AND deleted_at IS NULL"
)
_RUNNING = sql(
    "SELECT id, user_id FROM pm_time_entries WHERE ended_at IS NULL AND deleted_at IS NULL"
)


async def is_empty(ex: Executor) -> bool:
    """Whether the tenant has no project at all (not even a deleted one)."""
    return await ex.one(_ANY_PROJECT) is None


async def live_blocks(ex: Executor) -> list[Row]:
    """(id, blocking, blocked) of every live `blocks` link."""
    return await ex.all(_LIVE_BLOCKS)


async def running_timers(ex: Executor) -> list[Row]:
    """(id, user_id) of every running timer."""
    return await ex.all(_RUNNING)


_PROJECT_BY_KEY = sql("SELECT id FROM pm_projects WHERE key = :key AND deleted_at IS NULL")


async def project_id_by_key(ex: Executor, key: str) -> str | None:
    """The id of the live project with this key (keys are stored upper-case)."""
    row = await ex.one(_PROJECT_BY_KEY, {"key": key.upper()})
    return None if row is None else str(row[0])
