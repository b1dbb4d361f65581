"""/bulk: many writes in one transaction, all or nothing, with a dry run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from fastapi import APIRouter, Request
from starlette.responses import Response

from pm.api.context import JSON, context, render
from pm.api.dtos import bulk as dto
from pm.api.dtos.common import Body
from pm.api.errors import RESPONSES
from pm.service import bulk, comments, dependencies, sprints, work_items
from pm.service.bulk import BulkResult, Refs
from pm.service.uow import UnitOfWork

router = APIRouter(tags=["bulk"], responses=RESPONSES)


@router.post("/bulk", response_model=BulkResult, summary="Run many writes atomically")
async def run_bulk(request: Request, body: dto.BulkRequest) -> Response:
    """Up to 1,000 operations in order, in one transaction.

    Every operation obeys the rules and roles of its single route. The first one that fails
    undoes them all: 422 with its `index`, `field` (`operations.<index>.<field>`) and the
    status and code it would have had alone. `dry_run` answers what would happen and
    writes nothing (no events, no idempotency record). Events follow the commit, one per
    change, in order.
    """
    ctx = context(request)
    operations = [operation(op) for op in body.operations]
    if body.dry_run:
        result = await bulk.dry_run(ctx.services.tenancy, ctx.actor, operations)
        return Response(render(result), media_type=JSON)
    return await ctx.write(lambda uow: bulk.run(uow, operations))


def operation(op: dto.BulkOperation) -> bulk.Operation:
    """The runnable step for one operation of the request."""
    step = cast(Callable[[Any], bulk.Run], _STEPS[type(op)])(op)
    creation = _creation(op) if isinstance(op, dto.WorkItemCreate) else None
    return bulk.Operation(op.op, op.entity, step, getattr(op, "ref", None), creation)


def _new_item(op: dto.WorkItemCreate, refs: Refs) -> tuple[str, work_items.NewWorkItem]:
    """The project's id and the item to create, references resolved."""
    fields = op.model_dump(exclude={"op", "entity", "ref", "project_id"})
    fields["parent_id"] = refs.maybe(op.parent_id, "parent_id")
    fields["sprint_id"] = refs.maybe(op.sprint_id, "sprint_id")
    project_id = refs.resolve(op.project_id, "project_id")
    return project_id, work_items.NewWorkItem(**fields)


def _creation(op: dto.WorkItemCreate) -> bulk.Creation:
    named = (op.project_id, op.parent_id, op.sprint_id)
    uses = frozenset(v[1:] for v in named if v is not None and v.startswith("$"))
    return bulk.Creation(op.project_id, op.status, uses, lambda refs: _new_item(op, refs))


def _create_item(op: dto.WorkItemCreate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        project_id, new = _new_item(op, refs)
        item = await work_items.create_work_item(uow, project_id, new)
        return item.id, item

    return run


def _update_item(op: dto.WorkItemUpdate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        patch = op.patch()
        for name in ("parent_id", "sprint_id"):
            value = patch.get(name)
            if isinstance(value, str):
                patch[name] = refs.resolve(value, name)
        ident = refs.resolve(op.id, "id")
        item = await work_items.update_work_item(uow, ident, patch, op.expected_version)
        return item.id, item

    return run


def _delete_item(op: dto.WorkItemDelete) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        ident = refs.resolve(op.id, "id")
        deleted = await work_items.delete_work_item(uow, ident, op.expected_version)
        return deleted[0], {"deleted_ids": deleted}

    return run


def _create_comment(op: dto.CommentCreate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        item = refs.resolve(op.work_item_id, "work_item_id")
        comment = await comments.create_comment(uow, item, op.content)
        return comment.id, comment

    return run


def _update_comment(op: dto.CommentUpdate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        comment = await comments.update_comment(uow, refs.resolve(op.id, "id"), op.content)
        return comment.id, comment

    return run


def _delete_comment(op: dto.CommentDelete) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        ident = refs.resolve(op.id, "id")
        await comments.delete_comment(uow, ident)
        return ident, None

    return run


def _create_dependency(op: dto.DependencyCreate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        blocking = refs.resolve(op.blocking_item_id, "blocking_item_id")
        blocked = refs.resolve(op.blocked_item_id, "blocked_item_id")
        link = await dependencies.create_dependency(uow, blocking, blocked, op.dependency_type)
        return link.id, link

    return run


def _delete_dependency(op: dto.DependencyDelete) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        link = await dependencies.delete_dependency(uow, refs.resolve(op.id, "id"))
        return link.id, None

    return run


def _create_sprint(op: dto.SprintCreate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        fields = op.model_dump(exclude={"op", "entity", "ref", "project_id"})
        project_id = refs.resolve(op.project_id, "project_id")
        sprint = await sprints.create_sprint(uow, project_id, sprints.NewSprint(**fields))
        return sprint.id, sprint

    return run


def _update_sprint(op: dto.SprintUpdate) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        patch = op.patch()
        ident = refs.resolve(op.id, "id")
        sprint = await sprints.update_sprint(uow, ident, patch, op.expected_version)
        return sprint.id, sprint

    return run


def _delete_sprint(op: dto.SprintDelete) -> bulk.Run:
    async def run(uow: UnitOfWork, refs: Refs) -> tuple[str, Any]:
        ident = refs.resolve(op.id, "id")
        await sprints.delete_sprint(uow, ident, op.expected_version)
        return ident, None

    return run


_STEPS: dict[type[Body], Callable[..., bulk.Run]] = {
    dto.WorkItemCreate: _create_item,
    dto.WorkItemUpdate: _update_item,
    dto.WorkItemDelete: _delete_item,
    dto.CommentCreate: _create_comment,
    dto.CommentUpdate: _update_comment,
    dto.CommentDelete: _delete_comment,
    dto.DependencyCreate: _create_dependency,
    dto.DependencyDelete: _delete_dependency,
    dto.SprintCreate: _create_sprint,
    dto.SprintUpdate: _update_sprint,
    dto.SprintDelete: _delete_sprint,
}
