"""Fetching the entities a use case acts on — for an actor who may — or failing as expected.

Every lookup takes the role the use case needs in the entity's project: a non-member gets
NotFound for the entity asked for (as if it did not exist), a member without the role
gets Forbidden.
"""

from __future__ import annotations

import dataclasses
from typing import cast

from pm.core.comments import Comment
from pm.core.errors import InvalidInput, NotFound
from pm.core.members import Role
from pm.core.projects import Project
from pm.core.sprints import Sprint
from pm.core.work_items import WorkItem, parse_item_key
from pm.db.executor import Executor
from pm.db.repos import comments, projects, sprints, work_items
from pm.db.repos.work_items import ItemTree
from pm.service import access
from pm.service.access import EDIT
from pm.service.uow import Reader, UnitOfWork

# Keys of the batch memo (`UnitOfWork.batch_memo`): a creation's read of its project, and
# the project's next item number (by id, whatever name the read went by).
_TAKEN, _NEXT = "taken-number", "next-number"


async def guard(
    reader: Reader, project_id: str, need: Role, entity: str, ident: str, field: str | None = None
) -> None:
    """Require `need` in the project; a non-member is told `entity` `ident` does not exist."""
    try:
        await access.require(reader, project_id, need)
    except NotFound:
        raise NotFound(entity, ident, field=field) from None


async def project(reader: Reader, id_or_key: str, need: Role) -> Project:
    """The live project by id or key (PONE, any case), or NotFound.

    Use cases that take a project from a path go through here first and use the returned
    project's id from then on: the id is the canonical form in rows, events and answers.
    """
    found = await projects.get_with_role(reader.ex, id_or_key, reader.actor.user_id)
    if found is None:
        raise NotFound("project", id_or_key)
    _check(reader, found[0].id, found[1], need, "project", id_or_key)
    return found[0]


async def project_taking_item_number(
    uow: UnitOfWork, id_or_key: str, status: str, count: int = 1
) -> projects.TakenNumber:
    """The live project (by id or key) with its next work item number (or `count` of them)
    taken (EDIT role), or NotFound.

    One read instead of three (lookup, status lane, number); the number's advance is held
    back (`uow.later`) to ride with the unit's last statement, so a caller who may not
    create items, or a creation refused later, has written nothing. The read is kept in
    the batch's memo: the next creation in the same project by the same user, in the same
    batch transaction, takes the number after this one's without a read (a unit that may
    have changed the project, its members or lanes clears the memo; so does one undone).
    """
    memo, read = uow.batch_memo(), (_TAKEN, id_or_key, uow.actor.user_id, status)
    seen = memo.get(read)
    if isinstance(seen, projects.TakenNumber):
        number = cast(int, memo[(_NEXT, seen.project.id)])
        project = dataclasses.replace(seen.project, next_work_item_number=number)
        taken = projects.TakenNumber(project, seen.role, number, seen.status_has_lane)
    else:
        found = await projects.next_item_number(uow.ex, id_or_key, uow.actor.user_id, status)
        if found is None:
            raise NotFound("project", id_or_key)
        taken = found
    _check(uow, taken.project.id, taken.role, EDIT, "project", id_or_key)
    uow.later(projects.advancing_numbers(taken.project.id, taken.number + count))
    memo[read] = taken
    memo[(_NEXT, taken.project.id)] = taken.number + count  # by id: one for every name
    return taken


async def work_item(reader: Reader, id_or_key: str, need: Role) -> WorkItem:
    """The live work item by id or key (PONE-42), or NotFound."""
    key = parse_item_key(id_or_key)
    user = reader.actor.user_id
    found = (
        await work_items.get_by_key_with_role(reader.ex, *key, user)
        if key is not None
        else await work_items.get_with_role(reader.ex, id_or_key, user)
    )
    if found is None:
        raise NotFound("work item", id_or_key)
    _check(reader, found[0].project_id, found[1], need, "work item", id_or_key)
    return found[0]


async def work_item_tree(reader: Reader, id_or_key: str, need: Role) -> ItemTree:
    """`work_item`, with its ancestors and descendants (one statement)."""
    key = parse_item_key(id_or_key)
    found = await work_items.get_tree_with_role(
        reader.ex, key if key is not None else id_or_key, reader.actor.user_id
    )
    if found is None:
        raise NotFound("work item", id_or_key)
    _check(reader, found.item.project_id, found.role, need, "work item", id_or_key)
    return found


async def work_item_with_lane(
    reader: Reader, id_or_key: str, need: Role, status: str
) -> tuple[WorkItem, bool]:
    """`work_item`, and whether `status` has a live lane in the item's project."""
    key = parse_item_key(id_or_key)
    found = await work_items.get_with_role_and_lane(
        reader.ex, key if key is not None else id_or_key, reader.actor.user_id, status
    )
    if found is None:
        raise NotFound("work item", id_or_key)
    item, role, has_lane = found
    _check(reader, item.project_id, role, need, "work item", id_or_key)
    return item, has_lane


def _check(
    reader: Reader, project_id: str, role: Role | None, need: Role, entity: str, ident: str
) -> None:
    try:
        access.check(reader, project_id, role, need)
    except NotFound:
        raise NotFound(entity, ident) from None


async def sprint(reader: Reader, sprint_id: str, need: Role) -> Sprint:
    """The live sprint, or NotFound."""
    found = await sprints.get(reader.ex, sprint_id)
    if found is None:
        raise NotFound("sprint", sprint_id)
    await guard(reader, found.project_id, need, "sprint", sprint_id)
    return found


async def comment(reader: Reader, comment_id: str, need: Role) -> Comment:
    """The live comment, or NotFound."""
    found = await comments.get(reader.ex, comment_id)
    if found is not None:
        await guard(reader, found.project_id, need, "comment", comment_id)
    if found is None:
        raise NotFound("comment", comment_id)
    return found


async def referenced_item(ex: Executor, item_id: str, field: str) -> WorkItem:
    """A work item named in a request body: a missing one is invalid input on that field."""
    found = await work_items.get(ex, item_id)
    if found is None:
        raise InvalidInput(f"work item {item_id!r} does not exist", field=field)
    return found


async def visible_item(reader: Reader, item_id: str, field: str, need: Role) -> WorkItem:
    """A work item named in a request body, in a project the actor may act in.

    A missing item and one in a project the actor is not a member of are both "does not
    exist" on that field; a member without the role gets Forbidden.
    """
    found = await referenced_item(reader.ex, item_id, field)
    try:
        await access.require(reader, found.project_id, need)
    except NotFound:
        raise InvalidInput(f"work item {item_id!r} does not exist", field=field) from None
    return found


async def item_in_project(ex: Executor, project: Project, id_or_key: str, field: str) -> WorkItem:
    """A work item of `project` named by id or key in a query or body, or invalid input on
    `field` (the caller has already checked the actor's role in the project)."""
    key = parse_item_key(id_or_key)
    found: WorkItem | None = None
    if key is None:
        found = await work_items.get(ex, id_or_key)
    elif key[0] == project.key:
        found = await work_items.get_by_number(ex, project.id, key[1])
    if found is None or found.project_id != project.id:
        raise InvalidInput(
            f"work item {id_or_key!r} does not exist in project {project.key}", field=field
        )
    return found


async def referenced_sprint(ex: Executor, sprint_id: str, field: str = "sprint_id") -> Sprint:
    """A sprint named in a request body: a missing one is invalid input on that field."""
    found = await sprints.get(ex, sprint_id)
    if found is None:
        raise InvalidInput(f"sprint {sprint_id!r} does not exist", field=field)
    return found
