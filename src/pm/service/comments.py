"""Comment use cases: list, create, edit and delete the markdown comments on a work item."""

from __future__ import annotations

from dataclasses import replace

from pm.core import activity, comments
from pm.core.comments import Comment
from pm.core.enums import EntityType
from pm.core.errors import NotFound
from pm.core.ids import new_id
from pm.db.repos import comments as repo
from pm.db.repos import work_items as item_repo
from pm.events.types import Event, EventKind
from pm.service import lookups
from pm.service.access import EDIT, VIEW
from pm.service.uow import Reader, UnitOfWork

_CONTENT = ("content",)


async def list_comments(reader: Reader, id_or_key: str, after: str, limit: int) -> list[Comment]:
    """A work item's live comments, oldest first, after the cursor id."""
    item = await lookups.work_item(reader, id_or_key, VIEW)
    return await repo.list_for_item(reader.ex, item.id, after, limit)


async def create_comment(uow: UnitOfWork, id_or_key: str, content: str) -> Comment:
    """Comment on a work item as the acting user."""
    item = await lookups.work_item(uow, id_or_key, EDIT)
    text = comments.validate_content(content)
    user, now = uow.actor.user_id, uow.now
    comment = Comment(new_id(), item.id, item.project_id, text, now, now, user, user, None)
    await repo.insert(uow.ex, comment)
    uow.log(EntityType.COMMENT, comment.id, comment.project_id, "created")
    uow.emit(
        Event(
            EventKind.COMMENT_CREATED,
            user,
            comment.id,
            comment.project_id,
            comment,
            work_item_ids=(item.id,),
        )
    )
    return comment


async def update_comment(uow: UnitOfWork, comment_id: str, content: str) -> Comment:
    """Replace the content of one of the acting user's comments."""
    current = await _live_comment(uow, comment_id)
    comments.check_author(current, uow.actor.user_id)
    changed = replace(current, content=comments.validate_content(content))
    changes = activity.diff(current, changed, _CONTENT)
    if not changes:
        return current
    changed = replace(changed, updated_at=uow.now, updated_by=uow.actor.user_id)
    await repo.update(uow.ex, changed)
    uow.log(EntityType.COMMENT, changed.id, changed.project_id, "updated", changes)
    uow.emit(
        Event(
            EventKind.COMMENT_UPDATED,
            uow.actor.user_id,
            changed.id,
            changed.project_id,
            changed,
            tuple(changes),
            work_item_ids=(changed.work_item_id,),
        )
    )
    return changed


async def delete_comment(uow: UnitOfWork, comment_id: str) -> None:
    """Soft-delete one of the acting user's comments."""
    current = await _live_comment(uow, comment_id)
    comments.check_author(current, uow.actor.user_id)
    user, now = uow.actor.user_id, uow.now
    await repo.update(uow.ex, replace(current, deleted_at=now, updated_at=now, updated_by=user))
    uow.log(EntityType.COMMENT, current.id, current.project_id, "deleted")
    uow.emit(
        Event(
            EventKind.COMMENT_DELETED,
            user,
            current.id,
            current.project_id,
            work_item_ids=(current.work_item_id,),
        )
    )


async def _live_comment(uow: UnitOfWork, comment_id: str) -> Comment:
    """A comment lives only as long as its work item: one on a deleted item is not found."""
    comment = await lookups.comment(uow, comment_id, EDIT)
    if await item_repo.get(uow.ex, comment.work_item_id) is None:
        raise NotFound("comment", comment_id)
    return comment
