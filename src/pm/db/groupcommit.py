"""Group commit: the units of work of one tenant share a transaction, and one COMMIT.

A commit writes every changed page to the WAL (two `pwrite`s a page), which was a third of
a write's cost. So each unit of work runs in a SAVEPOINT of a shared transaction, which
stays open while writers keep joining it: the commit waits for a turn of the event loop
in which no unit joined (the loop has then read every request that had arrived), for
MAX_BATCH units, or for MAX_HOLD seconds after the first unit, whichever comes first. A
unit is acknowledged — `end_unit` returns — only once its batch is committed.

`GroupCommit` is the batching policy; an engine supplies the primitives (begin, savepoint,
release, undo, commit, rollback), which run inline and raise domain errors.
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pm.db.executor import Executor, Settle, Statement
from pm.db.store import UnitTransaction

log = logging.getLogger(__name__)

MAX_BATCH = 64  # units of work sharing one commit, at most
MAX_HOLD = 0.005  # seconds a batch stays open after its first unit while units keep joining


class WriterLock(asyncio.Lock):
    """A tenant's in-process writer lock that remembers when its holder began waiting for it.

    The busy timeout counts from then: writers queued behind one that waits for another
    process's lock must not each wait a full timeout in turn (50 writers, 50 timeouts).
    """

    def __init__(self) -> None:
        super().__init__()
        self.waiting_since = time.monotonic()
        self.queued = 0  # writers waiting for the lock right now

    async def acquire(self) -> Literal[True]:
        """Wait for the lock, noting when the wait began."""
        started = time.monotonic()
        self.queued += 1
        try:
            await super().acquire()
        finally:
            self.queued -= 1
        self.waiting_since = started
        return True


@dataclass(slots=True)
class _Pending:
    done: asyncio.Future[None]
    keep: bool
    on_commit: Callable[[], None] | None


class GroupCommit(ABC):
    """One tenant's writer: units of work take turns under `write_lock` and share commits.

    A unit that fails rolls back to its savepoint only; a commit that fails fails every
    unit of its batch. A waiter may be gone (its task was cancelled): its unit's outcome
    stands all the same, and the other waiters are answered.
    """

    executor: Executor  # the writer connection's, set by the engine

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.write_lock = WriterLock()
        self.commits_since_checkpoint = 0
        self.on_commit_batch: Callable[[int], None] | None = None  # told each commit's size
        self._batch: list[_Pending] = []
        self._batch_deadline = 0.0  # when the open batch commits even if units keep joining
        self._batch_seen = 0  # its size when the commit was last due
        self._commit_handle: asyncio.Handle | None = None
        self._memo: dict[object, object] = {}

    # The engine's primitives. They run inline on the loop (but `begin`) and raise domain
    # errors (pm.core.errors), except `savepoint`, whose failure fails only its unit.

    @abstractmethod
    def in_transaction(self) -> bool:
        """Whether the batch transaction is open."""

    @abstractmethod
    async def begin(self) -> None:
        """Open the batch transaction (holding `write_lock`)."""

    @abstractmethod
    def savepoint(self) -> None:
        """Open the unit's savepoint."""

    @abstractmethod
    def release(self) -> None:
        """Keep the unit's savepoint."""

    @abstractmethod
    def undo(self) -> None:
        """Roll back to the unit's savepoint and close it."""

    @abstractmethod
    def commit(self) -> None:
        """Commit the batch transaction (rolling it back if the commit itself fails)."""

    @abstractmethod
    def rollback(self) -> None:
        """Roll back the batch transaction, if open."""

    # The policy.

    def transaction(self) -> UnitTransaction:
        """`async with store.transaction() as ex:` — one unit of work, no events."""
        return UnitTransaction(self)

    async def begin_unit(self) -> Executor:
        """Take the writer's turn and open a savepoint (in the batch transaction)."""
        await self.write_lock.acquire()
        try:
            if not self.in_transaction():
                self._memo = {}  # a new batch: what earlier ones read may have changed
                await self.begin()
            self.savepoint()
        except BaseException:
            self._hand_on()
            raise
        return self.executor

    async def end_unit(self, keep: bool, on_commit: Callable[[], None] | None = None) -> None:
        """Keep or undo the unit's savepoint; return once its batch is committed.

        A kept unit whose batch fails to commit raises the commit's error (it is not
        durable); `on_commit` runs right after the commit, before the next writer's turn.
        """
        try:
            if keep:
                self.release()
            else:
                self.undo()
        except Exception as exc:
            log.warning("closing a savepoint failed", exc_info=exc)
            self._abandon_batch(exc)
            if keep:
                raise
            return  # an undone unit's caller is already failing with its own error
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self._batch:
            self._batch_deadline = time.monotonic() + MAX_HOLD
            self._batch_seen = 0
        self._batch.append(_Pending(done, keep, on_commit))
        self._hand_on()
        await done

    def park(
        self, writes: Sequence[Statement], returning: Sequence[Statement], settle: Settle
    ) -> bool:
        """Statements run in-process: nothing is gained by holding one back."""
        return False

    def batch_memo(self) -> dict[object, object]:
        """What the units of the open batch share (see `TenantStore.batch_memo`)."""
        return self._memo

    def _abandon_batch(self, error: Exception) -> None:
        """Roll the batch transaction back and end this writer's turn: the units kept
        earlier in the batch are undone with it, so each fails with `error` (none may be
        answered as durable)."""
        try:
            self.rollback()
        except Exception:  # the turn must still end, or every writer would wait forever
            log.exception("rolling back a batch failed", extra={"tenant_id": self.tenant_id})
        batch, self._batch = self._batch, []
        if self._commit_handle is not None:
            self._commit_handle.cancel()
            self._commit_handle = None
        for pending in batch:
            if not pending.done.done():
                if pending.keep:
                    pending.done.set_exception(error)
                else:
                    pending.done.set_result(None)
        self.write_lock.release()

    def _hand_on(self) -> None:
        """End this writer's turn: leave the batch open for writers ready to run, or commit."""
        if self._batch and len(self._batch) < MAX_BATCH and self.in_transaction():
            # Release first: a queued writer's wake-up then runs before the commit is due.
            self.write_lock.release()
            self._commit_later()
        else:
            self._finish_batch()
            self.write_lock.release()

    def _commit_later(self, delay: float = 0.0) -> None:
        """Commit once the loop has run what is ready now (those writers join the batch)."""
        if self._commit_handle is None:
            loop = asyncio.get_running_loop()
            self._commit_handle = (
                loop.call_soon(self._commit_due)
                if delay == 0
                else loop.call_later(delay, self._commit_due)
            )

    def flush(self) -> None:
        """Commit a batch left open now (on shutdown, before the connection closes)."""
        if self._batch and not self.write_lock.locked():
            self._finish_batch()

    def _commit_due(self) -> None:
        self._commit_handle = None
        if not self._batch:
            return
        if self.write_lock.locked():
            self._commit_later(0.001)  # a writer has the turn: it commits or leaves it to us
            return
        if len(self._batch) > self._batch_seen and time.monotonic() < self._batch_deadline:
            # Units joined since the last look: one more turn of the loop first, which
            # reads the requests that arrived meanwhile, so their writers join this commit.
            self._batch_seen = len(self._batch)
            self._commit_later()
            return
        self._finish_batch()

    def _finish_batch(self) -> None:
        batch, self._batch = self._batch, []
        if self._commit_handle is not None:
            self._commit_handle.cancel()
            self._commit_handle = None
        failure: Exception | None = None
        if self.in_transaction():
            try:
                self.commit()
            except Exception as exc:
                failure = exc
            else:
                self.commits_since_checkpoint += 1
                if self.on_commit_batch is not None:
                    self.on_commit_batch(sum(1 for pending in batch if pending.keep))
        else:
            try:
                self.rollback()  # nothing open: but the engine's turn must end all the same
            except Exception:
                log.exception("ending a turn failed", extra={"tenant_id": self.tenant_id})
        # A waiter may be gone (its task was cancelled, e.g. a WebSocket dropped while its
        # command waited for the commit): its unit's outcome stands all the same — a
        # committed unit's events are still published — and the other waiters are answered.
        for pending in batch:
            if pending.keep and failure is not None:
                if not pending.done.done():
                    pending.done.set_exception(failure)
                continue
            if pending.keep and pending.on_commit is not None:
                try:
                    pending.on_commit()
                except Exception:
                    log.exception(
                        "an after-commit hook failed", extra={"tenant_id": self.tenant_id}
                    )
            if not pending.done.done():
                pending.done.set_result(None)
