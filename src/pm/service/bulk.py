"""Bulk writes: many use cases in one unit of work, all or nothing, with a dry run.

Each operation calls the same use case as its single route (the rules and the roles are
theirs); this module only runs them in order, resolves `$ref` references to ids created
earlier in the request, and names the failing operation. Work item creations next to
each other in one project share their statements (`work_items.create_work_items`): a plan
of 1,000 stories takes its numbers in one statement and stores its rows in one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from typing import Any

from pm.core.actor import Actor
from pm.core.errors import DomainError, InvalidInput, OperationFailed
from pm.core.records import record
from pm.service import work_items
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
class Creation:
    """A work item creation as written, for running it together with its neighbours:
    `project` and `status` as the operation names them, the `$ref` names it `uses` (one
    naming an item created beside it must wait for that item's row), and `new` resolving
    its references into the project's id and the item."""

    project: str
    status: str | None
    uses: frozenset[str]
    new: Callable[[Refs], tuple[str, work_items.NewWorkItem]]


@record
class Operation:
    """One step of a bulk request, ready to run (`creation`: it creates a work item)."""

    op: str
    entity: str
    run: Run
    ref: str | None = None
    creation: Creation | None = None


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
    index = 0
    while index < len(operations):
        count = _creations_together(operations, index)
        if count:
            await _create_items(uow, refs, operations[index : index + count], index, outcomes)
            index += count
            continue
        operation = operations[index]
        await _pause(index)
        try:
            entity_id, result = await operation.run(uow, refs)
            if operation.ref is not None:
                refs.name(operation.ref, entity_id)
        except DomainError as exc:
            raise OperationFailed(index, exc) from exc
        outcomes.append(
            Outcome(index, operation.op, operation.entity, entity_id, operation.ref, result)
        )
        index += 1
    return outcomes


async def _pause(index: int) -> None:
    if index and not index % _YIELD_EVERY:
        await asyncio.sleep(0)  # the loop serves other tenants' requests meanwhile


def _creations_together(operations: Sequence[Operation], start: int) -> int:
    """How many operations from `start` on create work items together: the same project
    and status as written, none referring to another among them (0: not a creation)."""
    first = operations[start].creation
    if first is None:
        return 0
    refs: set[str] = set()
    end = start
    for operation in operations[start:]:
        made = operation.creation
        if made is None or (made.project, made.status) != (first.project, first.status):
            break
        if made.uses & refs:
            break
        if operation.ref is not None:
            refs.add(operation.ref)
        end += 1
    return end - start


async def _create_items(
    uow: UnitOfWork,
    refs: Refs,
    operations: Sequence[Operation],
    start: int,
    outcomes: list[Outcome],
) -> None:
    """Run creations of one project together, each failure named by its own index."""
    news: list[work_items.NewWorkItem] = []
    project_id = ""
    for index, operation in enumerate(operations, start):
        try:
            project_id, new = _creation(operation).new(refs)
        except DomainError as exc:
            raise OperationFailed(index, exc) from exc
        news.append(new)
    index = start
    try:
        async with aclosing(work_items.create_work_items(uow, project_id, news)) as created:
            async for item in created:
                operation = operations[index - start]
                if operation.ref is not None:
                    refs.name(operation.ref, item.id)
                outcomes.append(
                    Outcome(index, operation.op, operation.entity, item.id, operation.ref, item)
                )
                index += 1
                await _pause(index)
    except DomainError as exc:
        # Storing the rows comes after the last one: a failure there is the last one's.
        raise OperationFailed(min(index, start + len(operations) - 1), exc) from exc


def _creation(operation: Operation) -> Creation:
    if operation.creation is None:
        raise TypeError("not a work item creation")
    return operation.creation


async def dry_run(tenancy: Tenancy, actor: Actor, operations: Sequence[Operation]) -> BulkResult:
    """Run every rule of every operation, then undo it all: nothing written, nothing emitted."""
    return BulkResult(True, await tenancy.rehearse(actor, lambda uow: apply(uow, operations)))


async def run(uow: UnitOfWork, operations: Sequence[Operation]) -> BulkResult:
    """Run the operations for real in `uow` (committed with it, one event per change)."""
    return BulkResult(False, await apply(uow, operations))
