"""Bulk writes: many use cases in one unit of work, all or nothing, with a dry run.

Each operation calls the same use case as its single route (the rules and the roles are
theirs); this module only runs them in order, resolves `$ref` references to ids created
earlier in the request, and names the failing operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pm.core.actor import Actor
from pm.core.errors import DomainError, InvalidInput, OperationFailed
from pm.core.records import record
from pm.service.uow import Tenancy, UnitOfWork

MAX_OPERATIONS = 1000
_YIELD_EVERY = 100  # operations between two turns of the event loop for other tenants


class Refs:
    """The ids of the entities created so far in a request, by their `ref` name."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def resolve(self, value: str, field: str) -> str:
        """`value` itself, or the id of the entity created under `$name` earlier."""
        if not value.startswith("$"):
            return value
        found = self._ids.get(value[1:])
        if found is None:
            raise InvalidInput(
                f"{value!r} refers to no entity created earlier in this request", field=field
            )
        return found

    def maybe(self, value: str | None, field: str) -> str | None:
        """`resolve` for an optional reference (None stays None)."""
        return None if value is None else self.resolve(value, field)

    def name(self, ref: str, entity_id: str) -> None:
        """Remember the id created under `ref`."""
        if ref in self._ids:
            raise InvalidInput(f"ref {ref!r} is already used in this request", field="ref")
        self._ids[ref] = entity_id


# One operation: runs a use case in the unit of work; returns (the entity's id, its result).
Run = Callable[[UnitOfWork, Refs], Awaitable[tuple[str, Any]]]


@record
class Operation:
    """One step of a bulk request, ready to run."""

    op: str
    entity: str
    run: Run
    ref: str | None = None


@record
class Outcome:
    """What one operation did (or, in a dry run, would do)."""

    index: int
    op: str
    entity: str
    id: str
    ref: str | None
    result: Any


@record
class BulkResult:
    """The answer to a bulk request."""

    dry_run: bool
    results: list[Outcome]


async def apply(uow: UnitOfWork, operations: Sequence[Operation]) -> list[Outcome]:
    """Run every operation in order in `uow`; the first failure raises OperationFailed."""
    if len(operations) > MAX_OPERATIONS:
        raise InvalidInput(f"at most {MAX_OPERATIONS} operations per request", field="operations")
    refs = Refs()
    outcomes: list[Outcome] = []
    for index, operation in enumerate(operations):
        if index and not index % _YIELD_EVERY:
            await asyncio.sleep(0)  # the loop serves other tenants' requests meanwhile
        try:
            entity_id, result = await operation.run(uow, refs)
            if operation.ref is not None:
                refs.name(operation.ref, entity_id)
        except DomainError as exc:
            raise OperationFailed(index, exc) from exc
        outcomes.append(
            Outcome(index, operation.op, operation.entity, entity_id, operation.ref, result)
        )
    return outcomes


async def dry_run(tenancy: Tenancy, actor: Actor, operations: Sequence[Operation]) -> BulkResult:
    """Run every rule of every operation, then undo it all: nothing written, nothing emitted."""
    return BulkResult(True, await tenancy.rehearse(actor, lambda uow: apply(uow, operations)))


async def run(uow: UnitOfWork, operations: Sequence[Operation]) -> BulkResult:
    """Run the operations for real in `uow` (committed with it, one event per change)."""
    return BulkResult(False, await apply(uow, operations))
