"""Work item use cases: create, read, list, update (including moves), delete with descendants."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from dataclasses import fields, replace
from typing import TypedDict

from pm.core import activity, projects, work_items
from pm.core.enums import EntityType, Priority, WorkItemType
from pm.core.errors import InvalidInput
from pm.core.ids import new_id
from pm.core.projects import Project
from pm.core.records import evolve, record
from pm.core.sprints import accepts_items
from pm.core.swim_lanes import DEFAULT_STATUS
from pm.core.versioning import bump, check_version
from pm.core.work_items import WorkItem, WorkItemDetail
from pm.db.repos import swim_lanes as lane_repo
from pm.db.repos import work_items as repo
from pm.db.repos.work_items import ItemFilter
from pm.events.types import Event, EventKind
from pm.service import cascade, lookups
from pm.service.access import EDIT, VIEW
from pm.service.uow import Reader, UnitOfWork

_FIELDS = tuple(f.name for f in fields(WorkItem))


@record
class NewWorkItem:
    """What a caller supplies to create a work item."""

    item_type: WorkItemType
    title: str
    description: str | None = None
    parent_id: str | None = None
    status: str | None = None
    priority: Priority = Priority.MEDIUM
    story_points: int | None = None
    assignee_id: str | None = None
    sprint_id: str | None = None
    position: int | None = None


class WorkItemPatch(TypedDict, total=False):
    """Fields of a work item an update may set (a present None clears the field)."""

    title: str
    description: str | None
    status: str
    priority: Priority
    story_points: int | None
    assignee_id: str | None
    sprint_id: str | None
    parent_id: str | None
    position: int


async def create_work_item(uow: UnitOfWork, project_id: str, new: NewWorkItem) -> WorkItem:
    """Create an epic, story or task in a project."""
    status = new.status if new.status is not None else DEFAULT_STATUS
    taken = await lookups.project_taking_item_number(uow, project_id, status)
    item = await _new_item(uow, taken.project, taken.number, new, status, taken.status_has_lane)
    uow.later(repo.inserting(item))
    return item


async def create_work_items(
    uow: UnitOfWork, project_id: str, news: Sequence[NewWorkItem]
) -> AsyncGenerator[WorkItem, None]:
    """Create items in one project as `create_work_item` would one after the other (the same
    rules, numbers, activity and events, in order), yielding each once it has passed the
    rules: a caller learns which one failed. Their numbers are taken in one statement and
    their rows stored in one after the last is yielded, so iterate to the end (or fail).
    """
    statuses = [DEFAULT_STATUS if new.status is None else new.status for new in news]
    taken = await lookups.project_taking_item_number(uow, project_id, statuses[0], len(news))
    items = []
    for offset, (new, status) in enumerate(zip(news, statuses, strict=True)):
        has_lane = taken.status_has_lane and status == statuses[0]
        number = taken.number + offset
        items.append(await _new_item(uow, taken.project, number, new, status, has_lane))
        yield items[-1]
    await repo.insert_many(uow.ex, items)


async def _new_item(
    uow: UnitOfWork,
    project: Project,
    number: int,
    new: NewWorkItem,
    status: str,
    status_has_lane: bool,
) -> WorkItem:
    """A new item of `project` under `number` after every rule of creation, logged and
    announced (its row is the caller's to store)."""
    ex, project_id = uow.ex, project.id
    title = projects.validate_title(new.title)
    parent = None
    if new.parent_id is not None:
        parent = await lookups.referenced_item(ex, new.parent_id, "parent_id")
    work_items.validate_parent(new.item_type, project_id, parent)
    if not status_has_lane:
        work_items.validate_status(status, await lane_repo.statuses(ex, project_id))
    if new.sprint_id is not None:
        await _check_sprint(uow, new.sprint_id, new.item_type, project_id)
    user, now = uow.actor.user_id, uow.now
    item = WorkItem(
        new_id(),
        project_id,
        new.item_type,
        number,
        work_items.item_key(project.key, number),
        new.parent_id,
        number if new.position is None else new.position,
        title,
        new.description,
        status,
        new.priority,
        new.story_points,
        new.assignee_id,
        new.sprint_id,
        1,
        now,
        now,
        user,
        user,
        None,
    )
    uow.log(EntityType.WORK_ITEM, item.id, project_id, "created")
    uow.emit(
        Event(
            EventKind.WORK_ITEM_CREATED,
            user,
            item.id,
            project_id,
            item,
            sprint_ids=_ids(item.sprint_id),
            work_item_ids=_tree_ids(item),
        )
    )
    return item


async def get_work_item(reader: Reader, id_or_key: str) -> WorkItemDetail:
    """A work item by id or key, with its ancestors and descendants."""
    tree = await lookups.work_item_tree(reader, id_or_key, VIEW)
    return WorkItemDetail(
        **{f: getattr(tree.item, f) for f in _FIELDS},
        ancestor_ids=tree.ancestor_ids,
        descendant_ids=tree.descendant_ids,
    )


async def list_work_items(
    reader: Reader, project_id: str, flt: ItemFilter, after: int, limit: int
) -> list[WorkItem]:
    """A page of a project's work items, by item number.

    `descendants_of` and `ancestors_of` may name the item by id or key; an item that is not
    in the project is invalid input on that filter.
    """
    project = await lookups.project(reader, project_id, VIEW)
    below, above = flt.descendants_of, flt.ancestors_of
    if below is not None:
        below = (await lookups.item_in_project(reader.ex, project, below, "descendants_of")).id
    if above is not None:
        above = (await lookups.item_in_project(reader.ex, project, above, "ancestors_of")).id
    if (below, above) != (flt.descendants_of, flt.ancestors_of):
        flt = replace(flt, descendants_of=below, ancestors_of=above)
    return await repo.list_for_project(reader.ex, project.id, flt, after, limit)


async def update_work_item(
    uow: UnitOfWork, id_or_key: str, patch: WorkItemPatch, expected_version: int | None = None
) -> WorkItem:
    """Change fields of a work item, moving it in the hierarchy or between sprints."""
    ex = uow.ex
    status = patch.get("status")
    if status is None:
        current, status_has_lane = await lookups.work_item(uow, id_or_key, EDIT), True
    else:
        current, status_has_lane = await lookups.work_item_with_lane(uow, id_or_key, EDIT, status)
    check_version(current, expected_version, "work item")
    if "title" in patch:
        patch["title"] = projects.validate_title(patch["title"])
    # Bumped up front (one copy, not two); discarded when nothing changed.
    changed = evolve(current, **patch, **bump(current, uow.now, uow.actor.user_id))
    if changed.status != current.status and not status_has_lane:
        work_items.validate_status(changed.status, await lane_repo.statuses(ex, current.project_id))
    if changed.parent_id != current.parent_id:
        await _check_move(uow, current, changed.parent_id)
    if changed.sprint_id != current.sprint_id and changed.sprint_id is not None:
        await _check_sprint(uow, changed.sprint_id, current.item_type, current.project_id)
    changes = activity.diff(current, changed, work_items.UPDATABLE_FIELDS)
    if not changes:
        return current
    await repo.update(ex, changed, [c.field_name for c in changes])
    uow.log(EntityType.WORK_ITEM, changed.id, changed.project_id, "updated", changes)
    uow.emit(
        Event(
            EventKind.WORK_ITEM_UPDATED,
            uow.actor.user_id,
            changed.id,
            changed.project_id,
            changed,
            tuple(changes),
            sprint_ids=_ids(current.sprint_id, changed.sprint_id),
            work_item_ids=_tree_ids(current, changed),
        )
    )
    return changed


async def delete_work_item(
    uow: UnitOfWork, id_or_key: str, expected_version: int | None = None
) -> list[str]:
    """Soft-delete a work item and everything below it; returns the deleted ids."""
    item = await lookups.work_item(uow, id_or_key, EDIT)
    check_version(item, expected_version, "work item")
    below = await repo.descendant_ids(uow.ex, item.id)
    deleted = [item.id]
    # Deepest first, so every child goes before its parent.
    for child_id in reversed(below):
        child = await repo.get(uow.ex, child_id)
        if child is not None:
            await cascade.delete_item(uow, child)
            deleted.append(child.id)
    await cascade.delete_item(uow, item)
    return deleted


async def _check_move(uow: UnitOfWork, item: WorkItem, parent_id: str | None) -> None:
    parent = None
    if parent_id is not None:
        parent = await lookups.referenced_item(uow.ex, parent_id, "parent_id")
        work_items.validate_move(item.id, parent_id, await repo.ancestor_ids(uow.ex, parent_id))
    work_items.validate_parent(item.item_type, item.project_id, parent)


async def _check_sprint(
    uow: UnitOfWork, sprint_id: str, item_type: WorkItemType, project_id: str
) -> None:
    sprint = await lookups.referenced_sprint(uow.ex, sprint_id)
    work_items.validate_sprint_member(item_type, sprint.project_id, project_id)
    if not accepts_items(sprint):
        raise InvalidInput(
            f"sprint {sprint.name!r} is {sprint.status.value} and takes no items", field="sprint_id"
        )


def _ids(*values: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v is not None))


def _tree_ids(*items: WorkItem) -> tuple[str, ...]:
    """The item and its parents: subscribers of a parent also hear about its children."""
    return _ids(*(i.id for i in items), *(i.parent_id for i in items))
