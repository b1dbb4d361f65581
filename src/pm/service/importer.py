"""Import of an export document into a tenant, in one unit of work.

`create` fills an empty tenant, keeping every id, key and timestamp; `merge` upserts by
primary key, the newer `updated_at` winning (rows without one — dependencies, activity —
are only added). Rows arrive section by section, parents before children; each row's
references must point to a row seen earlier in the file or (merge) stored already.
"""

from __future__ import annotations

from typing import Any

from pm.core import activity, work_items
from pm.core.dependencies import Dependency, find_cycle
from pm.core.enums import DependencyType, WorkItemType
from pm.core.errors import DomainError, InvalidInput
from pm.core.time_entries import TimeEntry
from pm.core.work_items import WorkItem
from pm.db.repos import projects
from pm.db.repos import sync as repo
from pm.db.rows import field_names
from pm.events.types import Event, EventKind
from pm.service import access
from pm.service.sync import SECTIONS
from pm.service.uow import UnitOfWork

_NO_CHANGE = frozenset({"updated_at", "updated_by", "version"})
_KINDS = {  # section → the prefix of its events (activity has none)
    "projects": "project",
    "swim_lanes": "swim_lane",
    "members": "member",
    "sprints": "sprint",
    "work_items": "work_item",
    "comments": "comment",
    "dependencies": "dependency",
    "time_entries": "time_entry",
}
_PARENT_TYPES = (WorkItemType.EPIC, WorkItemType.STORY)


def _bad(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, field=field)


class Importer:
    """Takes the rows of one document in order; `finish` checks the whole and counts."""

    def __init__(self, uow: UnitOfWork, merge: bool) -> None:
        self.uow = uow
        self.merge = merge
        self.counts = {s: {"created": 0, "updated": 0, "skipped": 0} for s in SECTIONS}
        self._seen: dict[str, set[tuple[object, ...]]] = {s: set() for s in SECTIONS}
        self._pending: dict[str, list[Any]] = {s: [] for s in SECTIONS}
        self._projects: set[str] = set()
        self._keys: set[str] = set()
        self._sprints: dict[str, str] = {}  # sprint → its project
        self._items: dict[str, str] = {}  # work item → its project
        self._parents: dict[str, WorkItem] = {}  # epics and stories, as parents
        self._blocks: dict[str, tuple[str, str]] = {}  # live `blocks` links
        self._block_index: dict[str, int] = {}
        self._running: dict[str, str] = {}  # user → their running timer
        self._timer_user: dict[str, str] = {}  # running timer → its user
        self._section = ""

    async def begin(self) -> None:
        """Check the actor and the tenant; load what the whole-file checks need (merge)."""
        access.require_tenant_admin(self.uow, "an import")
        ex = self.uow.ex
        if not self.merge:
            if not await repo.is_empty(ex):
                raise _bad("mode=create needs an empty tenant; use mode=merge", "mode")
            return
        for link_id, blocking, blocked in await repo.live_blocks(ex):
            self._blocks[link_id] = (blocking, blocked)
        for entry_id, user in await repo.running_timers(ex):
            self._running[user], self._timer_user[entry_id] = entry_id, user

    async def add(self, section: str, index: int, row: Any) -> None:
        """Check and write one row (`index`: its place in its section, for errors)."""
        if section != self._section:  # rows are written before the next section refers to them
            for name in SECTIONS:
                await self._flush(name)
            self._section = section
        try:
            key = tuple(getattr(row, k) for k in repo.BY_NAME[section].key)
            if key in self._seen[section]:
                raise _bad(f"{key[-1]!r} appears twice", repo.BY_NAME[section].key[-1])
            self._seen[section].add(key)
            await self._check(section, row)
            winner = await self._write(section, row)
            self._remember(section, winner, index)
        except DomainError as exc:
            where = f"{section}[{index}]"
            field = f"{where}.{exc.field}" if exc.field else where
            raise _bad(f"{where}: {exc.message}", field) from exc
        if len(self._pending[section]) >= repo.PAGE:
            await self._flush(section)

    async def finish(self) -> dict[str, dict[str, int]]:
        """Write what is pending; refuse a cycle of `blocks`; the per-section counts."""
        for section in SECTIONS:
            await self._flush(section)
        cycle = find_cycle((i, a, b) for i, (a, b) in self._blocks.items())
        if cycle is not None:
            index = self._block_index.get(cycle)
            where = "dependencies" if index is None else f"dependencies[{index}]"
            raise _bad(
                f"{where}: dependency {cycle!r} closes a cycle of blocks links",
                f"{where}.blocked_item_id",
            )
        return self.counts

    # -- references -------------------------------------------------------------------

    async def _check(self, section: str, row: Any) -> None:
        if section == "projects":
            if row.key in self._keys:
                raise _bad(f"project key {row.key!r} appears twice", "key")
            stored = await repo.get(self.uow.ex, section, row) if self.merge else None
            if stored is None and self.merge and await _key_taken(self.uow, row.key):
                raise _bad(f"another project of this tenant has the key {row.key!r}", "key")
        elif section in ("swim_lanes", "members", "sprints"):
            await self._project(row.project_id)
        elif section == "work_items":
            await self._work_item(row)
        elif section in ("comments", "time_entries"):
            if await self._item(row.work_item_id, "work_item_id") != row.project_id:
                raise _bad("project_id is not the work item's project", "project_id")
        elif section == "dependencies":
            await self._item(row.blocking_item_id, "blocking_item_id")
            await self._item(row.blocked_item_id, "blocked_item_id")

    async def _project(self, project_id: str) -> None:
        if project_id in self._projects:
            return
        if self.merge and await repo.get_by_key(self.uow.ex, "projects", {"id": project_id}):
            self._projects.add(project_id)
            return
        raise _bad(f"project {project_id!r} is not in the file before this row", "project_id")

    async def _item(self, item_id: str, field: str) -> str:
        """The project of a referenced work item."""
        project = self._items.get(item_id)
        if project is None and self.merge:
            stored = await repo.get_by_key(self.uow.ex, "work_items", {"id": item_id})
            if stored is not None:
                project = self._items[item_id] = stored.project_id
                if stored.item_type in _PARENT_TYPES:
                    self._parents[item_id] = stored
        if project is None:
            raise _bad(f"work item {item_id!r} is not in the file before this row", field)
        return project

    async def _work_item(self, item: WorkItem) -> None:
        await self._project(item.project_id)
        if item.parent_id is not None:
            await self._item(item.parent_id, "parent_id")
            work_items.validate_parent(
                item.item_type, item.project_id, self._parents.get(item.parent_id)
            )
            if item.parent_id not in self._parents:  # a task cannot hold items
                raise _bad("the parent of an item must be an epic or a story", "parent_id")
        if item.sprint_id is not None:
            sprint_project = self._sprints.get(item.sprint_id)
            if sprint_project is None and self.merge:
                stored = await repo.get_by_key(self.uow.ex, "sprints", {"id": item.sprint_id})
                sprint_project = None if stored is None else stored.project_id
            if sprint_project is None:
                raise _bad(
                    f"sprint {item.sprint_id!r} is not in the file before this row", "sprint_id"
                )
            work_items.validate_sprint_member(item, sprint_project, item.project_id)

    # -- writing ------------------------------------------------------------------------

    async def _write(self, section: str, row: Any) -> Any:
        """Insert, overwrite or skip the row; the version that now stands."""
        counts = self.counts[section]
        if not self.merge:
            self._pending[section].append(row)  # written in pages (`add`, `finish`)
            counts["created"] += 1
            self._emit(section, None, row)
            return row
        stored = await repo.get(self.uow.ex, section, row)
        if stored is None:
            await repo.insert_many(self.uow.ex, section, [row])
            counts["created"] += 1
            self._emit(section, None, row)
            return row
        newer = getattr(row, "updated_at", None)
        if newer is None or newer <= stored.updated_at:
            counts["skipped"] += 1
            return stored
        await repo.replace(self.uow.ex, section, row)
        counts["updated"] += 1
        self._emit(section, stored, row)
        return row

    async def _flush(self, section: str) -> None:
        rows, self._pending[section] = self._pending[section], []
        try:
            await repo.insert_many(self.uow.ex, section, rows)
        except DomainError as exc:  # e.g. a unique value taken twice within the file
            raise _bad(f"{section}: {exc.message}", section) from exc

    def _remember(self, section: str, row: Any, index: int) -> None:
        if section == "projects":
            self._projects.add(row.id)
            self._keys.add(row.key)
        elif section == "sprints":
            self._sprints[row.id] = row.project_id
        elif section == "work_items":
            self._items[row.id] = row.project_id
            if row.item_type in _PARENT_TYPES:
                self._parents[row.id] = row
        elif section == "dependencies":
            self._link(row, index)
        elif section == "time_entries":
            self._timer(row)

    def _link(self, link: Dependency, index: int) -> None:
        if link.dependency_type is DependencyType.BLOCKS and link.deleted_at is None:
            self._blocks[link.id] = (link.blocking_item_id, link.blocked_item_id)
            self._block_index[link.id] = index
        else:
            self._blocks.pop(link.id, None)

    def _timer(self, entry: TimeEntry) -> None:
        user = self._timer_user.pop(entry.id, None)
        if user is not None:
            del self._running[user]
        if entry.ended_at is None and entry.deleted_at is None:
            other = self._running.get(entry.user_id)
            if other is not None:
                raise _bad(
                    f"user {entry.user_id!r} would have a second running timer ({other!r})",
                    "ended_at",
                )
            self._running[entry.user_id], self._timer_user[entry.id] = entry.id, entry.user_id

    # -- events -------------------------------------------------------------------------

    def _emit(self, section: str, old: Any | None, new: Any) -> None:
        """The event a subscriber needs to stay in step (none for rows imported deleted)."""
        prefix = _KINDS.get(section)
        if prefix is None or (old is None and _deleted(new)):
            return
        if old is not None and _deleted(new):
            if _deleted(old):
                return
            kind = "member_removed" if section == "members" else f"{prefix}_deleted"
        elif old is None:
            kind = "member_added" if section == "members" else f"{prefix}_created"
        elif section == "dependencies":
            return  # a link has no other change than being deleted
        else:
            kind = f"{prefix}_updated"
        changes: tuple[activity.FieldChange, ...] = ()
        if old is not None:
            names = [n for n in field_names(type(new)) if n not in _NO_CHANGE]
            changes = tuple(activity.diff(old, new, names))
        if section == "projects":
            project = new.id
        elif section == "dependencies":
            project = self._items.get(new.blocking_item_id)
        else:
            project = new.project_id
        self.uow.emit(_event(kind, self.uow.actor.user_id, project, new, changes))


def _deleted(row: Any) -> bool:
    return getattr(row, "deleted_at", None) is not None


def _event(
    kind: str, user: str, project: str | None, row: Any, changes: tuple[activity.FieldChange, ...]
) -> Event:
    """An event routed as the single routes route theirs."""
    extra: dict[str, object] = {}
    sprints: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    entity_id = getattr(row, "id", None) or row.user_id  # members are known by their user
    if isinstance(row, WorkItem):
        sprints = (row.sprint_id,) if row.sprint_id else ()
        items = (row.id, row.parent_id) if row.parent_id else (row.id,)
    elif isinstance(row, Dependency):
        items = (row.blocking_item_id, row.blocked_item_id)
        extra = {"blocking_item_id": row.blocking_item_id, "blocked_item_id": row.blocked_item_id}
    elif hasattr(row, "work_item_id"):
        items = (row.work_item_id,)
        extra = {"work_item_id": row.work_item_id}
    if kind.startswith("sprint_"):
        sprints = (row.id,)
    entity = None if kind.endswith("_deleted") and kind != "member_removed" else row
    return Event(EventKind(kind), user, entity_id, project, entity, changes, sprints, items, extra)


async def _key_taken(uow: UnitOfWork, key: str) -> bool:
    return await projects.key_taken(uow.ex, key)
