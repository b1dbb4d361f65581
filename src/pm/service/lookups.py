"""Fetching the entities a use case acts on, or failing the way the caller expects."""

from __future__ import annotations

from pm.core.comments import Comment
from pm.core.errors import InvalidInput, NotFound
from pm.core.projects import Project
from pm.core.sprints import Sprint
from pm.core.work_items import WorkItem, parse_item_key
from pm.db.executor import Executor
from pm.db.repos import comments, projects, sprints, work_items


async def project(ex: Executor, project_id: str) -> Project:
    """The live project, or NotFound."""
    found = await projects.get(ex, project_id)
    if found is None:
        raise NotFound("project", project_id)
    return found


async def work_item(ex: Executor, id_or_key: str) -> WorkItem:
    """The live work item by id or key (PONE-42), or NotFound."""
    found = (
        await work_items.get_by_key(ex, id_or_key)
        if parse_item_key(id_or_key)
        else await work_items.get(ex, id_or_key)
    )
    if found is None:
        raise NotFound("work item", id_or_key)
    return found


async def sprint(ex: Executor, sprint_id: str) -> Sprint:
    """The live sprint, or NotFound."""
    found = await sprints.get(ex, sprint_id)
    if found is None:
        raise NotFound("sprint", sprint_id)
    return found


async def comment(ex: Executor, comment_id: str) -> Comment:
    """The live comment, or NotFound."""
    found = await comments.get(ex, comment_id)
    if found is None:
        raise NotFound("comment", comment_id)
    return found


async def referenced_item(ex: Executor, item_id: str, field: str) -> WorkItem:
    """A work item named in a request body: a missing one is invalid input on that field."""
    found = await work_items.get(ex, item_id)
    if found is None:
        raise InvalidInput(f"work item {item_id!r} does not exist", field=field)
    return found


async def referenced_sprint(ex: Executor, sprint_id: str, field: str = "sprint_id") -> Sprint:
    """A sprint named in a request body: a missing one is invalid input on that field."""
    found = await sprints.get(ex, sprint_id)
    if found is None:
        raise InvalidInput(f"sprint {sprint_id!r} does not exist", field=field)
    return found
