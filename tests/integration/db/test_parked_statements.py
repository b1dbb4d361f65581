"""PostgreSQL's parked statements (`PgStore.park`) on a real server: the last statements of a
batch's units go in one round trip, every later statement sees them, and a unit whose
statement fails — or whose `settle` refuses what it returned — is taken out alone, while
a lost connection acknowledges none of the batch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import asyncpg
import pytest

from pm.core.errors import Conflict, Unavailable
from pm.db.pgtenants import PostgresTenantManager
from pm.db.postgres import PgStore, PostgresConfig
from pm.db.query import sql
from tests.conftest import drop_tenant_schemas

pytestmark = pytest.mark.postgres

NOTE = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority) "
    "VALUES (:id, 'note', 'parked', 't', 'c', 0) RETURNING id"
)
COUNT = sql("SELECT count(*) FROM pm_llm_context WHERE category = 'parked'")
IDS = sql("SELECT id FROM pm_llm_context WHERE category = 'parked' ORDER BY id")


class Refused(Exception):
    """What a unit's `settle` answers for a value it does not stand on."""


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[PgStore]:
    """A fresh tenant's store; its schema is dropped afterwards."""
    manager = PostgresTenantManager(PostgresConfig(pg_url))
    yield await manager.get("parked")
    await manager.close()
    await asyncio.to_thread(drop_tenant_schemas, pg_url)


async def _ids(store: PgStore) -> list[str]:
    return [r[0] for r in await (await store.reader()).all(IDS)]


async def _parking(store: PgStore, ident: str, seen: dict[str, object]) -> None:
    """A unit whose one statement is parked; `seen` gets what it returned."""
    await store.begin_unit()

    def settle(values: list[object]) -> BaseException | None:
        seen[ident] = values[0]
        return Refused(ident) if ident.startswith("refused") else None

    assert store.park([], [(NOTE, {"id": ident})], settle)
    await store.end_unit(keep=True)


async def _in_one_batch(store: PgStore, *work: Coroutine[Any, Any, None]) -> list[object]:
    """Run coroutines while a unit holds the writer's turn: they queue behind it and join
    its batch, in order. What each gave, after what the holding unit gave."""
    await store.begin_unit()
    tasks = [asyncio.ensure_future(w) for w in work]
    await asyncio.sleep(0.05)  # each is waiting for the turn now
    holder: object = None
    try:
        await store.end_unit(keep=True)
    except Exception as exc:
        holder = exc
    return [holder, *await asyncio.gather(*tasks, return_exceptions=True)]


async def test_the_parked_statements_of_a_batch_go_in_one_round_trip(store: PgStore) -> None:
    seen: dict[str, object] = {}
    commits, sent = store.commits, store.sent_parked
    results = await _in_one_batch(store, *(_parking(store, f"n{n:02}", seen) for n in range(12)))
    assert results == [None] * 13
    assert store.commits - commits == 1
    assert store.sent_parked - sent == 1  # twelve units' writes, one round trip
    assert seen == {f"n{n:02}": f"n{n:02}" for n in range(12)}
    assert await _ids(store) == [f"n{n:02}" for n in range(12)]


async def test_a_later_statement_sees_what_was_parked_before_it(store: PgStore) -> None:
    counted: list[int] = []

    async def reading() -> None:
        ex = await store.begin_unit()
        row = await ex.one(COUNT)  # the parked insert goes first
        counted.append(int(row[0]) if row else -1)
        await store.end_unit(keep=False)

    sent = store.sent_parked
    results = await _in_one_batch(store, _parking(store, "a", {}), reading())
    assert results == [None, None, None]
    assert counted == [1]
    assert store.sent_parked - sent == 1
    assert await _ids(store) == ["a"]


async def test_a_parked_statement_that_fails_takes_only_its_unit_out(store: PgStore) -> None:
    seen: dict[str, object] = {}
    results = await _in_one_batch(
        store,
        _parking(store, "a", seen),
        _parking(store, "b", seen),
        _parking(store, "a", seen),  # a duplicate key: PostgreSQL refuses this one
        _parking(store, "c", seen),
    )
    assert [type(r).__name__ for r in results[1:]] == [
        "NoneType",
        "NoneType",
        "Conflict",
        "NoneType",
    ]
    assert results[0] is None
    assert isinstance(results[3], Conflict)
    assert await _ids(store) == ["a", "b", "c"]
    assert store.undone_with_writes == 1


async def test_a_unit_whose_settle_refuses_is_undone_and_told_why(store: PgStore) -> None:
    seen: dict[str, object] = {}
    published: list[str] = []

    async def announced(ident: str) -> None:
        await store.begin_unit()
        store.park([], [(NOTE, {"id": ident})], lambda values: None)
        await store.end_unit(True, on_commit=lambda: published.append(ident))

    results = await _in_one_batch(
        store,
        _parking(store, "first", seen),
        _parking(store, "refused", seen),
        announced("last"),
    )
    assert isinstance(results[2], Refused)
    assert [results[0], results[1], results[3]] == [None, None, None]
    assert await _ids(store) == ["first", "last"]
    assert published == ["last"]  # an undone unit's hook never runs


async def test_a_connection_lost_before_the_parked_statements_go_acknowledges_none(
    store: PgStore, pg_url: str
) -> None:
    async def doomed() -> None:
        ex = await store.begin_unit()
        pid = await ex.one(sql("SELECT pg_backend_pid()"))
        assert pid is not None
        store.park([], [(NOTE, {"id": "doomed"})], lambda values: None)
        admin = await asyncpg.connect(pg_url)
        await admin.execute("SELECT pg_terminate_backend($1)", pid[0])
        await admin.close()
        await store.end_unit(keep=True)

    results = await _in_one_batch(store, _parking(store, "before", {}), doomed())
    assert all(isinstance(r, Unavailable) for r in results), results  # the holder's too
    await _parking(store, "after", {})  # the next batch is served on a new connection
    assert await _ids(store) == ["after"]


async def test_a_unit_undone_after_parking_takes_its_statement_back(store: PgStore) -> None:
    async def regret() -> None:
        await store.begin_unit()
        store.park([], [(NOTE, {"id": "regret"})], lambda values: None)
        await store.end_unit(keep=False)

    results = await _in_one_batch(store, _parking(store, "kept", {}), regret())
    assert results == [None, None, None]
    assert await _ids(store) == ["kept"]
