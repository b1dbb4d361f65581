"""Optimistic locking: every change bumps `version`; a stale expectation is a conflict."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pm.core.errors import Conflict
from pm.core.records import evolve


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


V = TypeVar("V", bound=Versioned)


def bump(entity: V, now: int, user_id: str, **changes: Any) -> V:
    """The entity (a versioned dataclass) with `changes`, its version bumped, and who
    changed it when (`updated_at`, `updated_by`)."""
    return evolve(entity, **changes, version=entity.version + 1, updated_at=now, updated_by=user_id)
