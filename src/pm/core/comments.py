"""Comments (markdown) on work items."""

from __future__ import annotations

from pm.core.errors import Forbidden, InvalidInput
from pm.core.records import record

MAX_CONTENT = 65_536


@record
class Comment:
    """A comment on a work item; only its author may edit or delete it."""

    id: str
    work_item_id: str
    project_id: str
    content: str
    created_at: int
    updated_at: int
    created_by: str
    updated_by: str
    deleted_at: int | None


def validate_content(content: str) -> str:
    """Comments must say something, in at most MAX_CONTENT characters."""
    if not content.strip():
        raise InvalidInput("content must not be blank", field="content")
    if len(content) > MAX_CONTENT:
        raise InvalidInput(f"content must be at most {MAX_CONTENT} characters", field="content")
    return content


def check_author(comment: Comment, user_id: str) -> None:
    """Only the author of a comment may change or delete it."""
    if comment.created_by != user_id:
        raise Forbidden("only the author of a comment can change or delete it")
