"""Optimistic locking: every change bumps `version`; a stale expectation is a conflict."""

from __future__ import annotations

from typing import Protocol

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
