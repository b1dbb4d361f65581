"""Optimistic locking: every change bumps `version`; a stale expectation is a conflict."""

from __future__ import annotations

from typing import Protocol, TypedDict

from pm.core.errors import Conflict


class Versioned(Protocol):
    """Anything with an integer `version`."""

    @property
    def version(self) -> int: ...


def check_version(current: Versioned, expected: int | None, entity: str) -> None:
    """Raise Conflict (carrying the current row) when `expected` is given and stale."""
    if expected is not None and expected != current.version:
        raise Conflict(
            f"{entity} was changed by someone else: expected version {expected}, "
            f"current version is {current.version}",
            field="expected_version",
            current=current,
        )


class Bump(TypedDict):
    """What every change of a versioned record also sets: its next version, when, by whom."""

    version: int
    updated_at: int
    updated_by: str


def bump(entity: Versioned, now: int, user_id: str) -> Bump:
    """The fields that make a change of `entity` its next version, by `user_id` at `now`;
    copy with them and the change in one go: `evolve(item, **patch, **bump(item, now, user))`
    (the type checker checks every name against the record's fields)."""
    return {"version": entity.version + 1, "updated_at": now, "updated_by": user_id}
