"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Generic, TypeVar

from pydantic import BaseModel

from pm.core.errors import InvalidInput
from pm.core.records import record

T = TypeVar("T")
C = TypeVar("C", str, int)  # a keyset position
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    """A page of results; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None


@record
class PageOut(Generic[T]):
    """What routes serialise (the schema above documents it)."""

    items: list[T]
    next_cursor: str | None


def encode(value: str | int) -> str:
    """Wrap a keyset position into an opaque cursor."""
    text = f"i:{value}" if isinstance(value, int) else f"s:{value}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_int(cursor: str | None, default: int = 0) -> int:
    """The integer position inside a cursor made by `encode`."""
    text = _unwrap(cursor)
    if text is None:
        return default
    if not text.startswith("i:") or not text[2:].isdigit() or len(text) > 24:
        raise InvalidInput("cursor is not valid for this list", field="cursor")
    return int(text[2:])


def decode_str(cursor: str | None, default: str) -> str:
    """The text position inside a cursor made by `encode`."""
    text = _unwrap(cursor)
    if text is None:
        return default
    if not text.startswith("s:"):
        raise InvalidInput("cursor is not valid for this list", field="cursor")
    return text[2:]


def decode(cursor: str | None, start: C) -> C:
    """The position inside a cursor made by `encode`, of the same type as `start` (the
    position without a cursor)."""
    if isinstance(start, int):
        return decode_int(cursor, start)
    return decode_str(cursor, start)


def _unwrap(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("cursor is not valid for this list", field="cursor") from None


def page(rows: list[T], limit: int, key: Callable[[T], str | int]) -> PageOut[T]:
    """Cut `rows` (fetched with limit + 1) to a page; the cursor is set only if more exist."""
    if len(rows) > limit:
        rows = rows[:limit]
        return PageOut(rows, encode(key(rows[-1])))
    return PageOut(rows, None)
