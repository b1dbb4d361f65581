"""Comment request bodies."""

from __future__ import annotations

from pm.api.dtos.common import Body, LongText


class CreateComment(Body):
    """A new comment (markdown) on the work item of the URL."""

    content: LongText


class UpdateComment(Body):
    """The comment's new content (markdown)."""

    content: LongText
