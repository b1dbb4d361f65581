"""Work item commands: create, update, delete, list."""

from __future__ import annotations

from pm.core.enums import Priority
from pm.core.errors import InvalidInput
from pm.core.work_items import WorkItem
from pm.db.repos.work_items import ItemFilter
from pm.events.entities_pb import work_item_pb, work_item_type_from_pb
from pm.events.types import EventKind
from pm.proto import messages_pb2 as pb
from pm.service import work_items as svc
from pm.service.uow import Reader
from pm.ws.commands import command
from pm.ws.context import CommandContext, envelope
from pm.ws.handlers.decoding import cleared, expected_version


def _priority(value: str) -> Priority:
    try:
        return Priority(value)
    except ValueError:
        raise InvalidInput(
            f"priority must be one of {', '.join(p.value for p in Priority)}", field="priority"
        ) from None


@command("create_work_item_request")
async def create_work_item(ctx: CommandContext) -> bytes:
    """Create an epic, story or task."""
    req = ctx.message.create_work_item_request
    new = svc.NewWorkItem(
        item_type=work_item_type_from_pb(req.item_type),
        title=req.title,
        description=req.description if req.HasField("description") else None,
        parent_id=req.parent_id if req.HasField("parent_id") else None,
        status=req.status if req.HasField("status") else None,
        priority=_priority(req.priority) if req.HasField("priority") else Priority.MEDIUM,
    )
    return await ctx.announce(
        lambda uow: svc.create_work_item(uow, req.project_id, new), EventKind.WORK_ITEM_CREATED
    )


@command("update_work_item_request")
async def update_work_item(ctx: CommandContext) -> bytes:
    """Change fields of a work item (update_parent applies parent_id even when unset)."""
    req = ctx.message.update_work_item_request
    patch = _patch(req)
    version = expected_version(req.expected_version)
    return await ctx.announce(
        lambda uow: svc.update_work_item(uow, req.work_item_id, patch, version),
        EventKind.WORK_ITEM_UPDATED,
    )


def _patch(req: pb.UpdateWorkItemRequest) -> svc.WorkItemPatch:
    """The fields the client set, as the service's patch."""
    patch: svc.WorkItemPatch = {}
    if req.HasField("title"):
        patch["title"] = req.title
    if req.HasField("description"):
        patch["description"] = cleared(req.description)
    if req.HasField("status"):
        patch["status"] = req.status
    if req.HasField("assignee_id"):
        patch["assignee_id"] = cleared(req.assignee_id)
    if req.HasField("sprint_id"):
        patch["sprint_id"] = cleared(req.sprint_id)
    if req.HasField("position"):
        patch["position"] = req.position
    if req.HasField("story_points"):
        patch["story_points"] = req.story_points
    if req.HasField("priority"):
        patch["priority"] = _priority(req.priority)
    if req.update_parent or req.HasField("parent_id"):
        patch["parent_id"] = req.parent_id if req.HasField("parent_id") else None
    return patch


@command("delete_work_item_request")
async def delete_work_item(ctx: CommandContext) -> bytes:
    """Soft-delete a work item and everything below it (the reply names the item itself)."""
    req = ctx.message.delete_work_item_request
    return await ctx.announce(
        lambda uow: svc.delete_work_item(uow, req.work_item_id), EventKind.WORK_ITEM_DELETED
    )


@command("get_work_items_request")
async def get_work_items(ctx: CommandContext) -> bytes:
    """Every live item of a project (optionally only those updated since a time)."""
    req = ctx.message.get_work_items_request
    since = req.since_timestamp if req.HasField("since_timestamp") else None

    async def run(reader: Reader) -> tuple[list[WorkItem], int]:
        flt = ItemFilter(updated_since=since)
        items: list[WorkItem] = []
        after = 0
        while True:
            page = await svc.list_work_items(reader, req.project_id, flt, after, 1000)
            items.extend(page)
            if len(page) < 1000:
                return items, reader.now
            after = page[-1].item_number

    items, as_of = await ctx.read(run)
    return envelope(
        ctx.message_id,
        (
            "work_items_list",
            pb.WorkItemsList(work_items=[work_item_pb(i) for i in items], as_of_timestamp=as_of),
        ),
    )
