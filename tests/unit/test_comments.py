"""Comments must say something, and only their author may change them."""

from __future__ import annotations

import pytest

from pm.core import comments
from pm.core.comments import MAX_CONTENT, Comment
from pm.core.errors import Forbidden, InvalidInput


def make_comment(author: str = "alice") -> Comment:
    """A live comment on item w1 written by `author`."""
    return Comment("c1", "w1", "p1", "Looks good", 0, 0, author, author, None)


@pytest.mark.parametrize("content", ["ok", "  padded  ", "# Heading\n\n- item", "x" * MAX_CONTENT])
def test_content_is_kept_as_written(content: str) -> None:
    assert comments.validate_content(content) == content


@pytest.mark.parametrize("content", ["", " ", "\n\t  \n"])
def test_blank_content_is_refused(content: str) -> None:
    with pytest.raises(InvalidInput, match="blank") as caught:
        comments.validate_content(content)
    assert caught.value.field == "content"


def test_content_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(InvalidInput, match=str(MAX_CONTENT)) as caught:
        comments.validate_content("x" * (MAX_CONTENT + 1))
    assert caught.value.field == "content"


def test_the_author_may_change_their_comment() -> None:
    comments.check_author(make_comment("alice"), "alice")


def test_nobody_else_may_change_a_comment() -> None:
    with pytest.raises(Forbidden, match="only the author") as caught:
        comments.check_author(make_comment("alice"), "bob")
    assert caught.value.field is None
    assert caught.value.code == "AUTHORIZATION_FAILED"
