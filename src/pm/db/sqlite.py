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
from pathlib import Path

from sqlalchemy.dialects import sqlite as sqlite_dialect

from pm.core.errors import Conflict, Unavailable
from pm.db.executor import NO_PARAMS, Params, Statement
from pm.db.groupcommit import GroupCommit
from pm.db.query import Query, Row
from pm.db.turn import CheckpointTurn, WriterTurn, checkpoint_path, lock_path

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


# Frames in the WAL past which a checkpoint holds the writers back to complete (16 MiB of
# 4 KiB pages), so that the next commit starts the WAL from its beginning again.
WAL_RESTART_FRAMES = 4096


def checkpoint(path: Path) -> tuple[int, int]:
    """Copy the WAL back into the database file (run in a worker thread, never on the loop).

    Returns the frames in the WAL and how many of them are now in the database file.
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=1)
    try:
        _busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        conn.close()
    return frames, copied


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

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        """Execute `writes`, then `returning` (each a statement of its own, inline): the value
        each of those returned first, or None."""
        for write, params in writes:
            await self.run(write, params)
        returned: list[object] = []
        for query, params in returning:
            row = await self.one(query, params)
            returned.append(None if row is None else row[0])
        return returned


class SqliteStore(GroupCommit):
    """One tenant's SQLite database: a writer connection with group commit, a reader connection.

    Writers take turns and share commits (`pm.db.groupcommit`). A batch first takes the
    writer's turn across processes (`pm.db.turn`: the other workers' writers wait for it
    without polling), then SQLite's lock up front (`BEGIN IMMEDIATE`), retrying
    asynchronously while another program holds that. The turn is given back with the
    commit or rollback. Reads use their own connection, which only ever sees committed
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
        super().__init__(tenant_id)
        self.path = path
        self.conn = conn
        self.read_conn = read_conn
        self.executor = SqliteExecutor(conn)
        self.read_executor = SqliteExecutor(read_conn)
        self.busy_timeout = busy_timeout
        self.turn = WriterTurn(lock_path(path))
        self.checkpoints = CheckpointTurn(checkpoint_path(path))
        self.leases = 0
        self.closed = False

    async def reader(self) -> SqliteExecutor:
        """The executor for reads: committed data only, never blocked by writers."""
        return self.read_executor

    def scope(self) -> tuple[SqliteExecutor, None]:
        """One scope of reads: the shared reader (each statement its own snapshot)."""
        return self.read_executor, None

    def in_transaction(self) -> bool:
        """Whether the batch transaction is open."""
        return self.conn.in_transaction

    def snapshot(self) -> tuple[SqliteExecutor, Callable[[], None]]:
        """A reader over a connection of its own that sees one snapshot until closed.

        For long reads that must be consistent across many statements (an export): the
        shared reader would see each statement's own snapshot. Returns the executor and
        the function that ends the snapshot and closes the connection.
        """
        conn = connect_reader(self.path)
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts
        except sqlite3.Error as exc:
            conn.close()
            raise translate(exc) from exc

        def close() -> None:
            conn.rollback()
            conn.close()

        return SqliteExecutor(conn), close

    async def begin(self) -> None:
        """Take the writer's turn, then SQLite's lock up front (retrying asynchronously
        while another program holds it).

        Call it holding `write_lock`; the wait is bounded by `busy_timeout` from the moment
        the caller began waiting for `write_lock` (at least one attempt is always made).
        """
        deadline = self.write_lock.waiting_since + self.busy_timeout
        if not await self.turn.take(deadline):
            raise Unavailable("the tenant database is busy; retry shortly", retry_after=1)
        try:
            await self._begin_immediate(deadline)
        except BaseException:
            self.turn.give_back()
            raise

    async def _begin_immediate(self, deadline: float) -> None:
        delay = 0.001
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if _primary(exc) not in _BUSY_CODES or time.monotonic() + delay > deadline:
                    raise translate(exc) from exc
            await asyncio.sleep(delay)
            # Short: SQLite's lock is held by a program that does not take the writer's
            # turn (a failed attempt costs microseconds).
            delay = min(delay * 2, 0.004)

    def savepoint(self) -> None:
        """Open the unit's savepoint."""
        self.conn.execute("SAVEPOINT unit")

    def release(self) -> None:
        """Keep the unit's savepoint."""
        try:
            self.conn.execute("RELEASE unit")
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def undo(self) -> None:
        """Roll back to the unit's savepoint and close it."""
        try:
            self.conn.execute("ROLLBACK TO unit")
            self.conn.execute("RELEASE unit")
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def commit(self) -> None:
        """Commit the open transaction (rolling back if the commit itself fails); the
        writer's turn is given back either way."""
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self.rollback()
            raise translate(exc) from exc
        finally:
            self.turn.give_back()

    def rollback(self) -> None:
        """Roll back the open transaction, if any, and give the writer's turn back."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        finally:
            self.turn.give_back()

    async def checkpoint(self, every: float = 0.0) -> bool:
        """Copy the WAL back into the database file, in a thread, while writers go on;
        nothing when another worker is doing it, or did less than `every / 2` seconds ago
        (`pm.db.turn.CheckpointTurn`). True when it ran.

        SQLite starts the WAL from its beginning only at a commit that finds every frame
        copied, which never happens while writers keep committing during the copy: the
        WAL would grow without end (800 MB after 60,000 creations in 15 s), and every
        read would look through it. So once it holds `WAL_RESTART_FRAMES`, the copy runs
        a second time with the writers held back — this process's by the write lock,
        the other workers' by the writer's turn — and copies what the first run could
        not; that is the pages written meanwhile, a moment's worth.
        """
        if not self.checkpoints.claim(unless_within=every / 2):
            return False
        try:
            frames, _copied = await asyncio.to_thread(checkpoint, self.path)
            if frames >= WAL_RESTART_FRAMES:
                await self._checkpoint_holding_writers()
        finally:
            self.checkpoints.done()
        return True

    async def _checkpoint_holding_writers(self) -> None:
        await self.write_lock.acquire()
        try:
            if self.in_transaction():
                self._finish_batch()  # the batch left open: committed now, its units answered
            deadline = self.write_lock.waiting_since + self.busy_timeout
            if await self.turn.take(deadline):
                try:
                    await asyncio.to_thread(checkpoint, self.path)
                finally:
                    self.turn.give_back()
        finally:
            self.write_lock.release()

    def close(self) -> None:
        """Close both connections (the last close checkpoints; call it off the loop)."""
        if not self.closed:
            self.closed = True
            self.read_conn.close()
            self.conn.close()
            self.turn.close()
