"""PostgreSQL storage: a schema per tenant, one bounded connection pool for all of them.

Every tenant's tables live in a schema named after the tenant id (a quoted identifier).
A connection is pointed at a tenant with `search_path` (session-wide for reads, kept while
it serves the same tenant; `SET LOCAL` inside write transactions), so the statements are
the same text for every tenant and stay prepared. Writers of a tenant take turns twice
over: under an in-process lock (so events are handed on in `seq` order) and under a
transaction-scoped advisory lock keyed by the tenant (so writers on other instances wait
too), taken at BEGIN — a write transaction sees every committed write and nobody else
writes meanwhile, as with SQLite's `BEGIN IMMEDIATE`. That is what keeps `max(seq) + 1`
gap-free and unique. Every wait is bounded: connecting, acquiring a pooled connection,
each statement, and the tenant lock; failures become `Unavailable` (503 + Retry-After).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine.interfaces import Dialect

from pm.core.errors import Conflict, Unauthenticated, Unavailable
from pm.core.records import record
from pm.core.tenants import validate_tenant_id
from pm.db.executor import NO_PARAMS, Params, Settle, Statement
from pm.db.groupcommit import WriterLock
from pm.db.query import CompiledSql, Query, Row
from pm.db.store import UnitTransaction

log = logging.getLogger(__name__)
# :name → $1 (a name used twice is one parameter); the dialect module is untyped.
DIALECT: Dialect = postgresql.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]

_RESERVED = frozenset({"public", "information_schema"})


@record
class PostgresConfig:
    """Where the tenants' schemas are and how the pool behaves."""

    url: str
    pool_size: int = 10
    connect_timeout: float = 2.0  # opening a connection
    timeout: float = 5.0  # acquiring a pooled connection, each statement, the tenant lock
    max_open: int = 256  # tenant stores kept (cheap: no connection is held per tenant)
    auto_create: bool = True


def schema_name(tenant_id: str) -> str:
    """The tenant's schema; the tenant-id rules, minus names PostgreSQL keeps for itself."""
    validate_tenant_id(tenant_id)
    if tenant_id in _RESERVED or tenant_id.startswith("pg_"):
        raise Unauthenticated(
            f"tenant_id {tenant_id!r} is reserved by PostgreSQL (public, information_schema, pg_*)"
        )
    return tenant_id


def quote_ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lock_key(tenant_id: str) -> int:
    """The tenant's advisory-lock key (a signed 64-bit hash of the id)."""
    return int.from_bytes(
        hashlib.blake2b(b"pm-tenant:" + tenant_id.encode(), digest_size=8).digest(),
        "big",
        signed=True,
    )


_CONFLICT = (asyncpg.IntegrityConstraintViolationError,)
_RETRY = (
    asyncpg.LockNotAvailableError,  # the tenant lock was not free within the timeout
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.QueryCanceledError,  # statement_timeout
)
_DOWN = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # the connection's protocol is in no state to go on
    asyncpg.InsufficientResourcesError,  # disk full, too many connections
    asyncpg.OperatorInterventionError,  # admin shutdown, cannot connect now
    asyncpg.ObjectNotInPrerequisiteStateError,
)


def translate(exc: BaseException) -> BaseException:
    """Map a driver error to a domain error (or return it unchanged when unexpected)."""
    if isinstance(exc, _CONFLICT):
        return Conflict(f"the change conflicts with existing data ({exc})")
    if isinstance(exc, _RETRY):
        return Unavailable("the tenant database is busy; retry shortly", retry_after=1)
    if isinstance(exc, _DOWN):
        return Unavailable(
            "the database cannot be reached right now; nothing was changed", retry_after=5
        )
    return exc


def _args(compiled: CompiledSql, params: Params) -> tuple[Any, ...]:
    positions = compiled.positions
    return () if positions is None else tuple(params[name] for name in positions)


def _count(status: str) -> int:
    """Rows affected, from a command status ("UPDATE 3", "INSERT 0 1")."""
    tail = status.rpartition(" ")[2]
    return int(tail) if tail.isdigit() else 0


class PgExecutor:
    """Runs statements on one connection (inside the caller's transaction, if any)."""

    __slots__ = ("conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None."""
        compiled = query.for_dialect(DIALECT)
        try:
            row = await self.conn.fetchrow(compiled.sql, *_args(compiled, params))
        except (Exception, asyncio.CancelledError) as exc:
            raise _translated(exc) from exc
        return None if row is None else tuple(row)

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row."""
        compiled = query.for_dialect(DIALECT)
        try:
            rows = await self.conn.fetch(compiled.sql, *_args(compiled, params))
        except Exception as exc:
            raise _translated(exc) from exc
        return [tuple(r) for r in rows]

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        """Execute a write; returns the number of rows affected."""
        compiled = query.for_dialect(DIALECT)
        try:
            status = await self.conn.execute(compiled.sql, *_args(compiled, params))
        except Exception as exc:
            raise _translated(exc) from exc
        return _count(status)

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        """Execute one write statement for each parameter set."""
        compiled = query.for_dialect(DIALECT)
        try:
            await self.conn.executemany(compiled.sql, [_args(compiled, p) for p in rows])
        except Exception as exc:
            raise _translated(exc) from exc

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        """Execute `writes` and `returning` as one statement (each a part of its WITH list):
        one round trip instead of one each. What each of `returning` returned first."""
        if not writes and not returning:
            return []
        statements = (*writes, *returning)
        text = _combined(tuple(q for q, _ in statements), len(returning))
        try:
            row = await self.conn.fetchrow(text, *_all_args(statements))
        except (Exception, asyncio.CancelledError) as exc:
            raise _translated(exc) from exc
        return [] if row is None or not returning else list(row)


@dataclass(slots=True, frozen=True)
class _Done:
    """A write a unit ran in its batch, with what it answered (to run it again the same)."""

    unit: int
    how: str  # "run", "many" or "all"
    statement: Any
    result: object


class PgUnitExecutor(PgExecutor):
    """A unit of work's statements in its batch transaction: the statements other units
    parked go first (`PgStore.park`); its writes are noted in the batch's log (their
    parameters copied: a caller may reuse its dicts), and `dirty` says whether the
    transaction holds anything of the unit's — a write, or a failed statement (which
    aborts a PostgreSQL transaction)."""

    __slots__ = ("batch", "dirty", "log", "send_parked", "unit")

    def __init__(
        self, batch: _Batch, unit: int, send_parked: Callable[[_Batch], Awaitable[None]]
    ) -> None:
        super().__init__(batch.conn)
        self.batch = batch
        self.log = batch.log
        self.unit = unit
        self.send_parked = send_parked
        self.dirty = False

    async def _parked_first(self) -> None:
        if self.batch.parked:
            await self.send_parked(self.batch)

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None."""
        await self._parked_first()
        try:
            return await super().one(query, params)
        except BaseException:
            self.dirty = True
            raise

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row."""
        await self._parked_first()
        try:
            return await super().all(query, params)
        except BaseException:
            self.dirty = True
            raise

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        """Execute a write; returns the number of rows affected."""
        await self._parked_first()
        self.dirty = True
        count = await super().run(query, params)
        self.log.append(_Done(self.unit, "run", (query, dict(params)), count))
        return count

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        """Execute one write statement for each parameter set."""
        await self._parked_first()
        self.dirty = True
        await super().run_many(query, rows)
        self.log.append(_Done(self.unit, "many", (query, [dict(r) for r in rows]), None))

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        """`PgExecutor.write_all`, noted."""
        await self._parked_first()
        self.dirty = True
        values = await super().write_all(writes, returning)
        self.log.append(_Done(self.unit, "all", _copied(writes, returning), values))
        return values


def _copied(
    writes: Sequence[Statement], returning: Sequence[Statement]
) -> tuple[list[Statement], list[Statement]]:
    return [(q, dict(p)) for q, p in writes], [(q, dict(p)) for q, p in returning]


async def _again(ex: PgExecutor, done: _Done) -> None:
    """Run a noted write again; it must answer as it did the first time."""
    if done.how == "many":
        await ex.run_many(*done.statement)
        return
    if done.how == "run":
        result: object = await ex.run(*done.statement)
    else:
        result = await ex.write_all(*done.statement)
    if result != done.result:
        log.warning("a write run again answered %r, not %r", result, done.result)
        raise Unavailable("the tenant's writes could not be completed; retry", retry_after=1)


async def _back_to_savepoint(conn: asyncpg.Connection, again: Sequence[_Done]) -> None:
    """Roll the batch back to its savepoint, then run the writes `again` (each checked)."""
    await conn.execute("ROLLBACK TO SAVEPOINT batch")
    ex = PgExecutor(conn)
    for done in again:
        await _again(ex, done)


_PARAM = re.compile(r"\$(\d+)")
_COMBINED: dict[tuple[tuple[Query, ...], int], str] = {}


def _shifted(match: re.Match[str], by: int) -> str:
    return f"${int(match[1]) + by}"


def _combined(statements: tuple[Query, ...], returning: int) -> str:
    """`WITH w0 AS (statement 0), w1 AS (...) SELECT ...`: each part's $n moved past the
    ones before; the SELECT gives the first value of each of the last `returning` parts
    (a data-modifying part runs to its end whether or not it is read). Cached per shape."""
    key = (statements, returning)
    text = _COMBINED.get(key)
    if text is None:
        parts, offset = [], 0
        for compiled in [q.for_dialect(DIALECT) for q in statements]:
            parts.append(_PARAM.sub(partial(_shifted, by=offset), compiled.sql))
            offset += len(compiled.positions or ())
        ctes = ", ".join(f"w{i} AS ({part})" for i, part in enumerate(parts))
        first = len(parts) - returning
        picks = range(first, len(parts))  # part names, never data
        values = ", ".join(f"(SELECT * FROM w{i} LIMIT 1)" for i in picks)  # noqa: S608
        text = f"WITH {ctes} SELECT {values or 1}"
        if len(_COMBINED) >= 512:  # statements are module constants: a handful in practice
            _COMBINED.clear()
        _COMBINED[key] = text
    return text


def _all_args(statements: Sequence[Statement]) -> list[Any]:
    """The parameters of `statements` in the order of their `_combined` text."""
    args: list[Any] = []
    for query, params in statements:
        args += _args(query.for_dialect(DIALECT), params)
    return args


@dataclass(slots=True, frozen=True)
class _Parked:
    """A unit's last statement, held back to go with other units' (`PgStore.park`)."""

    unit: int
    writes: list[Statement]
    returning: list[Statement]
    settle: Settle
    shape: tuple[tuple[Query, ...], int]  # its statements and how many return: one text


def _parked(
    unit: int, writes: Sequence[Statement], returning: Sequence[Statement], settle: Settle
) -> _Parked:
    """A unit's statement to park, its parameters copied (a caller may reuse its dicts)."""
    queries = tuple(q for q, _ in (*writes, *returning))
    return _Parked(unit, *_copied(writes, returning), settle, (queries, len(returning)))


async def _together(conn: asyncpg.Connection, parked: Sequence[_Parked]) -> list[list[object]]:
    """Send parked statements, each run of one shape in one round trip (`fetchmany` runs
    them one after the other, each seeing what the ones before it wrote): what each
    returned, as `PgExecutor.write_all` gives it. Driver errors come as they are."""
    values: list[list[object]] = []
    start = 0
    while start < len(parked):
        shape = parked[start].shape
        end = start + 1
        while end < len(parked) and parked[end].shape == shape:
            end += 1
        text = _combined(*shape)
        args = [_all_args((*p.writes, *p.returning)) for p in parked[start:end]]
        rows = (
            await conn.fetchmany(text, args)
            if len(args) > 1
            else [await conn.fetchrow(text, *args[0])]
        )
        if len(rows) != end - start:
            raise RuntimeError(f"{end - start} parked statements returned {len(rows)} rows")
        values += [list(row) if shape[1] and row is not None else [] for row in rows]
        start = end
    return values


def _translated(exc: BaseException) -> BaseException:
    if isinstance(exc, asyncio.CancelledError):
        return exc
    return translate(exc)


# Background work (a snapshot giving its connection back, a batch waiting for its commit's
# turn) is held here: the loop keeps only weak references to its tasks.
_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    task = asyncio.get_running_loop().create_task(work)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return task


class PgPool:
    """The process's one pool, created on first use (so a server starts while PostgreSQL is
    down, and answers 503 until it is back); broken connections are replaced by the pool."""

    def __init__(self, config: PostgresConfig) -> None:
        self.config = config
        self._pool: asyncpg.Pool | None = None
        self._creating: asyncio.Lock | None = None

    async def pool(self) -> asyncpg.Pool:
        """The pool (created once)."""
        if self._pool is not None:
            return self._pool
        if self._creating is None:
            self._creating = asyncio.Lock()
        async with self._creating:
            if self._pool is None:
                cfg = self.config
                statement_ms = str(int(cfg.timeout * 1000))
                try:
                    self._pool = await asyncpg.create_pool(
                        cfg.url,
                        min_size=0,
                        max_size=cfg.pool_size,
                        timeout=cfg.connect_timeout,
                        command_timeout=cfg.timeout + 1,  # the server's timeouts come first
                        max_inactive_connection_lifetime=60,
                        reset=_reset,
                        connection_class=PmConnection,
                        server_settings={
                            "statement_timeout": statement_ms,
                            "lock_timeout": statement_ms,
                            "idle_in_transaction_session_timeout": str(int(cfg.timeout * 4000)),
                            "application_name": "pm-server",
                        },
                    )
                except Exception as exc:
                    raise _translated(exc) from exc
        assert self._pool is not None  # noqa: S101 - set just above
        return self._pool

    async def acquire(self) -> PmConnection:
        """A pooled connection, within the timeout (else Unavailable)."""
        pool = await self.pool()
        try:
            # The pool's proxy forwards every attribute to the PmConnection it wraps.
            conn = cast(PmConnection, await pool.acquire(timeout=self.config.timeout))
        except Exception as exc:
            raise _translated(exc) from exc
        return conn

    async def release(self, conn: PmConnection) -> None:
        """Give a connection back (a broken one is closed and later replaced)."""
        pool = self._pool
        if pool is None:
            return
        try:
            await pool.release(cast("PoolConnectionProxy[Any]", conn), timeout=self.config.timeout)
        except Exception:
            log.warning("releasing a connection failed", exc_info=True)

    async def close(self) -> None:
        """Close the pool (terminating connections that do not close in time)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), self.config.timeout)
            except Exception:
                pool.terminate()


class PmConnection(asyncpg.Connection):
    """A connection that remembers which tenant schema its session points at."""

    pm_schema: str | None = None

    def pm_point_at(self, schema: str | None) -> None:
        """Note the session's schema (called through the pool's connection proxy)."""
        self.pm_schema = schema


async def _reset(conn: asyncpg.Connection) -> None:
    """On release: end any transaction left open; keep the session's search_path."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def use_schema(conn: PmConnection, schema: str) -> None:
    """Point the connection's session at `schema` (nothing to do when it already is)."""
    if conn.pm_schema != schema:
        conn.pm_point_at(None)
        await conn.execute(f"SET search_path TO {quote_ident(schema)}")
        conn.pm_point_at(schema)


class _ReadOnly:
    """The writes of an executor that only reads: each refuses."""

    __slots__ = ()

    async def run(self, query: Query, params: Params = NO_PARAMS) -> int:
        """Readers do not write."""
        raise RuntimeError("a reader does not write")

    async def run_many(self, query: Query, rows: Sequence[Params]) -> None:
        """Readers do not write."""
        raise RuntimeError("a reader does not write")

    async def write_all(
        self, writes: Sequence[Statement], returning: Sequence[Statement] = ()
    ) -> list[object]:
        """Readers do not write."""
        raise RuntimeError("a reader does not write")


class PgReader(_ReadOnly):
    """Reads of committed data: each statement a scope of its own (a pooled connection
    taken for it and given back after)."""

    __slots__ = ("pool", "schema")

    def __init__(self, pool: PgPool, schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None."""
        reads = PgScope(self.pool, self.schema)
        try:
            return await reads.one(query, params)
        finally:
            await reads.end()

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row."""
        reads = PgScope(self.pool, self.schema)
        try:
            return await reads.all(query, params)
        finally:
            await reads.end()


class _Held(_ReadOnly, ABC):
    """Reads on one pooled connection, taken at the first statement (and made ready by
    `_prepare`) and given back by `end`."""

    __slots__ = ("_conn", "pool", "schema")

    def __init__(self, pool: PgPool, schema: str) -> None:
        self.pool = pool
        self.schema = schema
        self._conn: PmConnection | None = None

    @abstractmethod
    async def _prepare(self, conn: PmConnection) -> None:
        """Make a freshly taken connection ready for this reader's statements."""

    async def _get(self) -> PmConnection:
        if self._conn is None:
            conn = await self.pool.acquire()
            try:
                await self._prepare(conn)
            except BaseException as exc:
                await self.pool.release(conn)
                raise _translated(exc) from exc
            self._conn = conn
        return self._conn

    async def one(self, query: Query, params: Params = NO_PARAMS) -> Row | None:
        """The first row, or None."""
        return await PgExecutor(await self._get()).one(query, params)

    async def all(self, query: Query, params: Params = NO_PARAMS) -> list[Row]:
        """Every row."""
        return await PgExecutor(await self._get()).all(query, params)

    async def end(self) -> None:
        """Give the connection back, if a statement took one (the pool's reset rolls back
        a transaction left open)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await self.pool.release(conn)


class PgScope(_Held):
    """The reads of one scope (a request's) on one pooled connection: one acquire and one
    release for them all, instead of one per statement. No transaction: each statement sees
    what was committed when it ran, as with the shared reader."""

    __slots__ = ()

    async def _prepare(self, conn: PmConnection) -> None:
        await use_schema(conn, self.schema)


class PgSnapshot(_Held):
    """A reader that sees one snapshot (REPEATABLE READ, read only) on a connection of its
    own, taken at its first statement and given back when `close` is called."""

    __slots__ = ()

    async def _prepare(self, conn: PmConnection) -> None:
        await conn.execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
            f"SET LOCAL search_path TO {quote_ident(self.schema)}"
        )

    def close(self) -> None:
        """End the snapshot (its connection goes back to the pool in the background)."""
        if self._conn is not None:
            _in_background(self.end())


MAX_BATCH = 32  # units a batch takes: bounds its first unit's wait and an undo's replay


@dataclass(slots=True, eq=False)
class _Waiting:
    """A unit kept in its batch, waiting for the commit (or taken out by `failure`)."""

    unit: int
    done: asyncio.Future[None]
    on_commit: Callable[[], None] | None
    failure: BaseException | None = None  # its parked statement failed: it was undone


@dataclass(slots=True, eq=False)
class _Batch:
    """The open batch transaction of a tenant's writers: its connection and its units."""

    conn: PmConnection
    pending: list[_Waiting] = field(default_factory=list)
    committer: asyncio.Task[None] | None = None
    ended: bool = False
    log: list[_Done] = field(default_factory=list)  # the writes since the savepoint
    parked: list[_Parked] = field(default_factory=list)  # not sent yet
    broken: BaseException | None = None  # why it can only be rolled back
    units: int = 0  # units begun in it
    memo: dict[object, object] = field(default_factory=dict)  # what its units share


class PgStore:
    """One tenant's schema: reads on pooled connections; units of work share transactions.

    Group commit, as on SQLite: units share a batch transaction, which the tenant's
    writers keep open while others wait for their turn. The first unit of a batch opens it
    (and takes the tenant lock); once it has ended, a committer queues for the turn behind
    every writer waiting then, so those join the batch and one COMMIT (one WAL flush)
    serves them all; a batch of MAX_BATCH units commits at once. A unit is acknowledged
    only once its batch is committed; a failed commit fails every unit of its batch.

    A unit's last statement may be parked (`park`): it is sent with the ones the next
    units park, in one round trip, before any other statement or the COMMIT — so every
    statement still sees every write before it, and a batch of creations costs one round
    trip for all their writes instead of one each.

    A unit takes no savepoint of its own (a round trip each): undoing one that wrote
    nothing costs nothing, and undoing one that did rolls the batch back to its savepoint
    and runs the other units' writes again from the log (`_Done`), each of which must
    answer as it did — the writer's turn keeps anyone else from writing meanwhile, so the
    same writes on the same data do. Should one not, the batch fails (503, none of it was
    acknowledged). Undoing a unit that wrote is rare: rules are checked before a use case
    writes, and a unit's writes mostly go in its last statement.
    """

    def __init__(self, tenant_id: str, pool: PgPool) -> None:
        self.tenant_id = tenant_id
        self.schema = schema_name(tenant_id)
        self.pool = pool
        self.leases = 0
        self.write_lock = WriterLock()
        self.commits = 0
        self.undone_with_writes = 0  # units taken out of a batch they had written in
        self.sent_parked = 0  # round trips that sent parked statements
        self.on_commit_batch: Callable[[int], None] | None = None  # told each commit's size
        self._reader = PgReader(pool, self.schema)
        self._ident = quote_ident(self.schema)
        self._key = lock_key(tenant_id)
        self._batch: _Batch | None = None
        self._running: PgUnitExecutor | None = None  # the unit holding the turn

    async def reader(self) -> PgReader:
        """The executor for reads: committed data only, never blocked by writers."""
        return self._reader

    def scope(self) -> tuple[PgScope, Callable[[], Awaitable[None]]]:
        """One scope of reads on one pooled connection, and what gives it back."""
        reads = PgScope(self.pool, self.schema)
        return reads, reads.end

    def snapshot(self) -> tuple[PgSnapshot, Callable[[], None]]:
        """A reader that sees one snapshot until the returned function is called."""
        snap = PgSnapshot(self.pool, self.schema)
        return snap, snap.close

    def transaction(self) -> UnitTransaction:
        """`async with store.transaction() as ex:` — one unit of work, no events."""
        return UnitTransaction(self)

    async def begin_unit(self) -> PgUnitExecutor:
        """Take the writer's turn (opening a batch transaction when none is open: BEGIN,
        then the tenant's lock, waiting for other instances)."""
        await self.write_lock.acquire()
        try:
            batch = self._batch
            if batch is None:
                batch = await self._open()
        except BaseException:
            self.write_lock.release()
            raise
        batch.units += 1
        self._running = PgUnitExecutor(batch, batch.units, self._send_parked)
        return self._running

    async def _open(self) -> _Batch:
        conn = await self.pool.acquire()
        # The wait for the tenant's lock counts from when this writer began waiting for
        # its turn here: writers queued behind one that waits for another instance must
        # not each wait a whole timeout in turn.
        budget = self.write_lock.waiting_since + self.pool.config.timeout - time.monotonic()
        try:
            # One round trip: the transaction, the tenant's schema and lock, the savepoint.
            await conn.execute(
                f"BEGIN; SET LOCAL search_path TO {self._ident}; "
                f"SET LOCAL lock_timeout = {max(1, int(budget * 1000))}; "
                f"SELECT pg_advisory_xact_lock({self._key}); SAVEPOINT batch"
            )
        except BaseException as exc:
            await self.pool.release(conn)
            raise _translated(exc) from exc
        self._batch = _Batch(conn)
        return self._batch

    def batch_memo(self) -> dict[object, object]:
        """What the units of the open batch share (see `TenantStore.batch_memo`)."""
        return {} if self._batch is None else self._batch.memo  # none: nobody shares it

    def park(
        self, writes: Sequence[Statement], returning: Sequence[Statement], settle: Settle
    ) -> bool:
        """Hold the running unit's last statement back (see `TenantStore.park`)."""
        batch, unit = self._batch, self._running
        if batch is None or unit is None:
            raise RuntimeError("park without begin_unit")
        unit.dirty = True
        batch.parked.append(_parked(unit.unit, writes, returning, settle))
        return True

    async def end_unit(self, keep: bool, on_commit: Callable[[], None] | None = None) -> None:
        """Keep the unit in its batch or undo it; return once its batch is committed.
        `on_commit` runs right after the commit, before the next writer's turn."""
        batch, unit = self._batch, self._running
        if batch is None or unit is None:
            raise RuntimeError("end_unit without begin_unit")
        self._running = None
        done: asyncio.Future[None] | None = None
        try:
            if batch.broken is not None:
                await self._end(batch, batch.broken)
                if keep:
                    raise batch.broken
                return  # the caller is already failing with its own error
            if keep:
                done = asyncio.get_running_loop().create_future()
                batch.pending.append(_Waiting(unit.unit, done, on_commit))
            elif unit.dirty:
                try:
                    await self._undo(batch, unit.unit)
                except BaseException as exc:  # the batch cannot go on: none of it is kept
                    log.warning("undoing a unit failed", exc_info=True)
                    await self._end(batch, _translated(exc))
                    return  # the caller is already failing with its own error
            if len(batch.pending) >= MAX_BATCH:
                await self._end(batch, None)
            elif batch.committer is None:
                batch.committer = _in_background(self._commit_later(batch))
        finally:
            self.write_lock.release()
        if done is not None:
            await done

    async def _undo(self, batch: _Batch, unit: int) -> None:
        """Take a unit out of its batch: back to the batch's savepoint, the other units'
        writes again (checked), and a new savepoint after them. What the units shared may
        have come from it: the memo starts again."""
        batch.memo.clear()
        batch.parked[:] = [p for p in batch.parked if p.unit != unit]
        again = [done for done in batch.log if done.unit != unit]
        batch.log.clear()
        await _back_to_savepoint(batch.conn, again)
        if again:
            await batch.conn.execute("SAVEPOINT batch")
        self.undone_with_writes += 1

    async def _send_parked(self, batch: _Batch) -> None:
        """Send the parked statements (holding the writer's turn). Should one fail, or its
        unit refuse what it returned, they are sent again one by one from the savepoint
        and the units that fail are taken out. Should that be impossible, the batch is
        broken: it is rolled back when its units end, and none of it is acknowledged."""
        parked = batch.parked[:]
        batch.parked.clear()
        try:
            try:
                values = await _together(batch.conn, parked)
            except asyncpg.PostgresError:  # a statement failed: the connection is fine
                values = None
            self.sent_parked += 1
            if values is not None and not any(  # every unit settles, refusing or not
                [p.settle(v) for p, v in zip(parked, values, strict=True)]
            ):
                for p, v in zip(parked, values, strict=True):
                    batch.log.append(_Done(p.unit, "all", (p.writes, p.returning), v))
                return
            await self._one_by_one(batch, parked)
        except BaseException as exc:
            failure = _translated(exc)
            if not isinstance(failure, Unavailable):
                failure = Unavailable(
                    "the tenant's writes could not be completed; retry", retry_after=1
                )
            batch.broken = failure
            raise

    async def _one_by_one(self, batch: _Batch, parked: list[_Parked]) -> None:
        """Send parked statements again from the batch's savepoint, each alone; a unit
        whose statement fails, or whose `settle` refuses it, is undone and will fail."""
        await _back_to_savepoint(batch.conn, batch.log)
        ex = PgExecutor(batch.conn)
        for p in parked:
            try:
                values = await ex.write_all(p.writes, p.returning)
            except Exception as exc:  # the unit's own failure only when PostgreSQL refused it
                if not isinstance(exc.__cause__ or exc, asyncpg.PostgresError):
                    raise
                failure: BaseException | None = exc
            else:
                failure = p.settle(values)
            if failure is None:
                batch.log.append(_Done(p.unit, "all", (p.writes, p.returning), values))
                continue
            await self._undo(batch, p.unit)
            for waiting in batch.pending:
                if waiting.unit == p.unit:
                    waiting.failure = failure

    async def _commit_later(self, batch: _Batch) -> None:
        """Commit `batch` at the next turn: the writers waiting now run (and join it) first."""
        async with self.write_lock:
            if not batch.ended:
                await self._end(batch, None)

    async def _end(self, batch: _Batch, failure: BaseException | None) -> None:
        """Send what is parked and COMMIT the batch (or, given why, roll it back), answer
        its units and give its connection back; runs holding the writer's turn."""
        batch.ended = True
        if self._batch is batch:
            self._batch = None
        try:
            if failure is None and batch.parked:
                try:
                    await self._send_parked(batch)
                except BaseException as exc:
                    failure = batch.broken or _translated(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
            if failure is None:
                try:
                    await batch.conn.execute("COMMIT")
                except BaseException as exc:
                    failure = _translated(exc)
                    if isinstance(failure, asyncio.CancelledError):
                        failure = Unavailable("the write was interrupted; retry", retry_after=1)
                        raise
                else:
                    self.commits += 1
                    if self.on_commit_batch is not None:
                        self.on_commit_batch(sum(w.failure is None for w in batch.pending))
        finally:
            await self.pool.release(batch.conn)  # the pool's reset rolls back what is open
            self._answer(batch, failure)

    def _answer(self, batch: _Batch, failure: BaseException | None) -> None:
        # A waiter may be gone (its task was cancelled): its unit's outcome stands all the
        # same — a committed unit's events are still published — and the others are answered.
        for waiting in batch.pending:
            done = waiting.done
            why = failure or waiting.failure
            if why is not None:
                if not done.done():
                    done.set_exception(why)
                continue
            if waiting.on_commit is not None:
                try:
                    waiting.on_commit()
                except Exception:
                    log.exception(
                        "an after-commit hook failed", extra={"tenant_id": self.tenant_id}
                    )
            if not done.done():
                done.set_result(None)
