"""The SQLite fast path: one connection per tenant, statements run inline on the event loop.

A point read costs microseconds and a WAL commit ~50 µs, far less than a thread hop, so
statements execute directly on the loop. Whatever could stall the loop is kept off it:
the busy handler is disabled (lock waits become async retries with back-off), and WAL
checkpoints (the fsyncs) run in a background thread on a separate connection.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from sqlalchemy.dialects import sqlite as sqlite_dialect

from pm.core.errors import Conflict, Unavailable
from pm.db.executor import NO_PARAMS, Params
from pm.db.query import Query, Row

log = logging.getLogger(__name__)
DIALECT = sqlite_dialect.dialect(paramstyle="named")

_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_IO_CODES = {
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
}


def _primary(exc: sqlite3.Error) -> int:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF


def translate(exc: sqlite3.Error) -> Exception:
    """Map a sqlite3 error to a domain error (or return it unchanged when unexpected)."""
    code = _primary(exc)
    if code in _BUSY_CODES:
        return Unavailable("the tenant database is busy; retry shortly", retry_after=1)
    if code in _IO_CODES:
        return Unavailable(
            "the tenant database cannot be written right now (disk full or "
            "I/O error); nothing was changed",
            retry_after=5,
        )
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(f"the change conflicts with existing data ({exc})")
    return exc


def connect(path: Path, *, synchronous: str) -> sqlite3.Connection:
    """Open a tenant database with the pragmas this server relies on."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=512, timeout=0
    )
    conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode: a commit is written to the WAL before it is acknowledged, so it
    # survives a killed process; FULL also survives power loss (set SQLITE_SYNCHRONOUS).
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=0")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("PRAGMA journal_size_limit=67108864")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def connect_reader(path: Path) -> sqlite3.Connection:
    """A second, read-only connection: sees committed data only, never blocks the writer."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=512, timeout=0
    )
    conn.execute("PRAGMA query_only=ON")
    # A WAL reader is only ever kept waiting for a moment (while the WAL restarts).
    conn.execute("PRAGMA busy_timeout=50")
    conn.execute("PRAGMA temp_store=MEMORY")
    return conn


def checkpoint(path: Path) -> None:
    """Copy the WAL back into the database file (run in a worker thread, never on the loop)."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        conn.close()


class SqliteExecutor:
    """Runs statements on one sqlite3 connection, inline."""

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None."""
        try:
            row: Row | None = self.conn.execute(query.for_dialect(DIALECT).sql, params).fetchone()
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        return row

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row."""
        try:
            return self.conn.execute(query.for_dialect(DIALECT).sql, params).fetchall()
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        """Execute a write; returns the number of rows affected."""
        try:
            return self.conn.execute(query.for_dialect(DIALECT).sql, params).rowcount
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        """Execute one write statement for each parameter set."""
        try:
            self.conn.executemany(query.for_dialect(DIALECT).sql, rows)
        except sqlite3.Error as exc:
            raise translate(exc) from exc


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


MAX_BATCH = 64  # units of work sharing one commit, at most
MAX_HOLD = 0.005  # seconds a batch stays open after its first unit while units keep joining


class SqliteStore:
    """One tenant's SQLite database: a writer connection with group commit, a reader connection.

    Writers take turns under `write_lock`. Each unit of work runs in a SAVEPOINT of a shared
    transaction, which stays open while writers keep joining it: the commit waits for a
    turn of the event loop in which no unit joined (the loop has then read every request
    that had arrived), for MAX_BATCH units, or for MAX_HOLD seconds after the first unit,
    whichever comes first. Then one COMMIT makes the whole batch durable. A commit writes
    every changed page to the WAL, and units of one batch share pages, so a fuller batch
    makes each write cheaper. A unit is acknowledged — `end_unit` returns — only once its
    batch is committed. Reads use their own connection, which only ever sees committed
    data, and never wait for writers.
    """

    def __init__(
        self,
        tenant_id: str,
        path: Path,
        conn: sqlite3.Connection,
        read_conn: sqlite3.Connection,
        busy_timeout: float,
    ) -> None:
        self.tenant_id = tenant_id
        self.path = path
        self.conn = conn
        self.read_conn = read_conn
        self.executor = SqliteExecutor(conn)
        self.read_executor = SqliteExecutor(read_conn)
        self.busy_timeout = busy_timeout
        self.write_lock = WriterLock()
        self.commits_since_checkpoint = 0
        self.leases = 0
        self.closed = False
        self._batch: list[_Pending] = []
        self._batch_deadline = 0.0  # when the open batch commits even if units keep joining
        self._batch_seen = 0  # its size when the commit was last due
        self._commit_handle: asyncio.Handle | None = None

    async def reader(self) -> SqliteExecutor:
        """The executor for reads: committed data only, never blocked by writers."""
        return self.read_executor

    def transaction(self) -> SqliteTransaction:
        """`async with store.transaction() as ex:` — one unit of work, no events."""
        return SqliteTransaction(self)

    async def begin_unit(self) -> SqliteExecutor:
        """Take the writer's turn and open a savepoint (in the batch transaction)."""
        await self.write_lock.acquire()
        try:
            if not self.conn.in_transaction:
                await self.begin()
            self.conn.execute("SAVEPOINT unit")
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
                self.conn.execute("RELEASE unit")
            else:
                self.conn.execute("ROLLBACK TO unit")
                self.conn.execute("RELEASE unit")
        except sqlite3.Error as exc:
            log.warning("closing a savepoint failed", exc_info=exc)
            self._abandon_batch(translate(exc))
            if keep:
                raise translate(exc) from exc
            return  # an undone unit's caller is already failing with its own error
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not self._batch:
            self._batch_deadline = time.monotonic() + MAX_HOLD
            self._batch_seen = 0
        self._batch.append(_Pending(done, keep, on_commit))
        self._hand_on()
        await done

    def _abandon_batch(self, error: Exception) -> None:
        """Roll the batch transaction back and end this writer's turn: the units kept
        earlier in the batch are undone with it, so each fails with `error` (none may be
        answered as durable)."""
        try:
            self.rollback()
        except sqlite3.Error:  # the turn must still end, or every writer would wait forever
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
        if self._batch and len(self._batch) < MAX_BATCH and self.conn.in_transaction:
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
        if self.conn.in_transaction:
            try:
                self.commit()
            except Exception as exc:
                failure = exc
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

    async def begin(self) -> None:
        """Take the write lock up front, retrying asynchronously while another process holds it.

        Call it holding `write_lock`; the wait is bounded by `busy_timeout` from the moment
        the caller began waiting for `write_lock` (at least one attempt is always made).
        """
        deadline = self.write_lock.waiting_since + self.busy_timeout
        delay = 0.001
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if _primary(exc) not in _BUSY_CODES or time.monotonic() + delay > deadline:
                    raise translate(exc) from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    def commit(self) -> None:
        """Commit the open transaction (rolling back if the commit itself fails)."""
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.rollback()
            raise translate(exc) from exc
        self.commits_since_checkpoint += 1

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close both connections (the last close checkpoints; call it off the loop)."""
        if not self.closed:
            self.closed = True
            self.read_conn.close()
            self.conn.close()


@dataclass(slots=True)
class _Pending:
    done: asyncio.Future[None]
    keep: bool
    on_commit: Callable[[], None] | None


class SqliteTransaction:
    """Async context manager for one unit of work on a SqliteStore (commit = durable on exit)."""

    __slots__ = ("store",)

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    async def __aenter__(self) -> SqliteExecutor:
        return await self.store.begin_unit()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.store.end_unit(exc_type is None)
