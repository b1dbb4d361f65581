"""The PostgreSQL engine on a real server: schemas on first use, gap-free seq across
"instances", an outage answered 503 within the timeout, and recovery without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from pm.core.errors import TenantUnknown, Unauthenticated, Unavailable
from pm.db.pgtenants import PostgresTenantManager
from pm.db.postgres import PgStore, PostgresConfig, schema_name
from pm.db.query import sql
from pm.db.repos import events
from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import bearer, drop_tenant_schemas
from tests.helpers import API, create_project

pytestmark = pytest.mark.postgres

INSERT = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority) "
    "VALUES (:id, 'note', 'test', 't', 'c', 0)"
)


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[str]:
    """The test database, its tenant schemas dropped afterwards."""
    yield pg_url
    await asyncio.to_thread(drop_tenant_schemas, pg_url)


async def test_a_tenant_schema_is_created_once_however_many_open_it(pg: str) -> None:
    managers = [PostgresTenantManager(PostgresConfig(pg)) for _ in range(3)]
    stores = await asyncio.gather(*(m.get("first-use") for m in managers for _ in range(4)))
    assert {s.schema for s in stores} == {"first-use"}
    assert await asyncio.to_thread(managers[0].known_tenants) == ["first-use"]
    for m in managers:
        await m.close()


async def test_unknown_tenants_are_refused_without_auto_create(pg: str) -> None:
    manager = PostgresTenantManager(PostgresConfig(pg, auto_create=False))
    with pytest.raises(TenantUnknown):
        await manager.get("nobody")
    await manager.close()
    assert await asyncio.to_thread(manager.provision, "nobody") == 'schema "nobody"'
    assert await asyncio.to_thread(manager.known_tenants) == ["nobody"]
    assert await asyncio.to_thread(manager.migrate_all) == ["nobody"]


@pytest.mark.parametrize("tenant", ["public", "information_schema", "pg_temp"])
def test_names_postgresql_keeps_are_not_tenants(tenant: str) -> None:
    with pytest.raises(Unauthenticated):
        schema_name(tenant)


async def test_seq_stays_gap_free_with_writers_on_several_instances(pg: str) -> None:
    # Three managers stand for three server processes: each has its own pool and its own
    # in-process writer lock, so only the tenant's advisory lock keeps them apart.
    managers = [PostgresTenantManager(PostgresConfig(pg, pool_size=4)) for _ in range(3)]

    async def write(manager: PostgresTenantManager, n: int) -> int:
        store = await manager.get("seq")
        ex = await store.begin_unit()
        try:
            await ex.run(INSERT, {"id": f"u{n}"})
            event = events.inserting(0, "test", f"u{n}", None, (), (), "u", b"")
            stored = events.numbered((await ex.write_all((), [event]))[0], event)
        except BaseException:
            await store.end_unit(keep=False)
            raise
        await store.end_unit(keep=True)
        return stored.seq

    seqs = await asyncio.gather(*(write(managers[n % 3], n) for n in range(60)))
    assert sorted(seqs) == list(range(1, 61))
    reader = await (await managers[0].get("seq")).reader()
    assert await events.last_seq(reader) == 60
    assert [e.seq for e in await events.since(reader, 50, 100)] == list(range(51, 61))
    for m in managers:
        await m.close()


class Proxy:
    """A TCP proxy in front of PostgreSQL that can be cut off (PostgreSQL "stopped")."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.links -= {writer, up_writer}


async def test_an_outage_answers_503_quickly_and_the_pool_recovers(
    pg: str, settings: Settings
) -> None:
    proxy = Proxy(int(pg.rsplit(":", 1)[1].split("/")[0]))
    await proxy.start()
    url = pg.replace(pg.rsplit("@", 1)[1].split("/")[0], f"127.0.0.1:{proxy.port}")
    app = create_app(
        settings.model_copy(
            update={
                "database_url": SecretStr(url),
                "database_timeout": 1.0,
                "database_connect_timeout": 1.0,
            }
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            project = await create_project(client, bearer())
            await proxy.stop()
            started = time.monotonic()
            down = await asyncio.gather(
                client.post(
                    f"{API}/projects", json={"key": "DOWN", "title": "x"}, headers=bearer()
                ),
                client.get(f"{API}/projects/{project['id']}", headers=bearer()),
                client.get("/ready"),
            )
            assert time.monotonic() - started < 10  # bounded by the timeouts, never a hang
            for response in down:
                assert response.status_code == 503, response.text
                assert int(response.headers["retry-after"]) >= 1
            await proxy.start()  # PostgreSQL is back on the same address
            back = await client.get(f"{API}/projects/{project['id']}", headers=bearer())
            assert back.status_code == 200
            made = await client.post(
                f"{API}/projects", json={"key": "BACK", "title": "x"}, headers=bearer()
            )
            assert made.status_code == 201
            await proxy.stop()


async def test_unavailable_is_what_a_lost_server_raises(pg: str) -> None:
    manager = PostgresTenantManager(PostgresConfig("postgresql://postgres@127.0.0.1:9/none"))
    with pytest.raises(Unavailable):
        await manager.get("nowhere")
    await manager.close()


COUNT = sql("SELECT count(*) FROM pm_llm_context WHERE category = 'test'")


async def _count(store: PgStore) -> int:
    row = await (await store.reader()).one(COUNT)
    assert row is not None
    return int(row[0])


async def _unit(store: PgStore, ident: str, fail: bool = False) -> None:
    ex = await store.begin_unit()
    try:
        await ex.run(INSERT, {"id": ident})
        if fail:
            raise ValueError("this unit fails after writing")
    except BaseException:
        await store.end_unit(keep=False)
        raise
    await store.end_unit(keep=True)


async def test_concurrent_units_share_commits_and_are_all_durable(pg: str) -> None:
    sizes: list[int] = []
    manager = PostgresTenantManager(PostgresConfig(pg), on_commit_batch=sizes.append)
    store = await manager.get("group")
    before = store.commits
    await asyncio.gather(*(_unit(store, f"u{n}") for n in range(40)))
    assert await _count(store) == 40
    # 40 writers at once: the first opens a batch, the others join it (32 at most each).
    assert 2 <= store.commits - before <= 3
    assert sum(sizes) == 40  # what /metrics shows as batch sizes
    assert max(sizes) <= 32
    await manager.close()


async def test_a_failing_unit_takes_only_its_own_rows(pg: str) -> None:
    manager = PostgresTenantManager(PostgresConfig(pg))
    store = await manager.get("group")
    results = await asyncio.gather(
        _unit(store, "a"),
        _unit(store, "b", fail=True),
        _unit(store, "c"),
        _unit(store, "a"),  # a duplicate key: PostgreSQL fails the statement, the unit undoes
        _unit(store, "d"),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == [
        "NoneType",
        "ValueError",
        "NoneType",
        "Conflict",
        "NoneType",
    ]
    assert await _count(store) == 3
    assert store.undone_with_writes == 2  # "b" and the duplicate: the batch ran again
    await manager.close()


async def test_a_unit_undone_before_it_writes_costs_its_batch_nothing(pg: str) -> None:
    manager = PostgresTenantManager(PostgresConfig(pg))
    store = await manager.get("group")

    async def refused() -> None:
        ex = await store.begin_unit()
        try:
            await ex.one(COUNT)  # it reads, finds a rule broken, and leaves
            raise ValueError("refused")
        except BaseException:
            await store.end_unit(keep=False)
            raise

    results = await asyncio.gather(
        _unit(store, "a"), refused(), _unit(store, "b"), return_exceptions=True
    )
    assert isinstance(results[1], ValueError)
    assert await _count(store) == 2
    assert store.undone_with_writes == 0
    await manager.close()


async def test_undoing_a_unit_runs_each_other_write_once_again(pg: str) -> None:
    # A write alone in `write_all` (a held-back write settled before a read) is noted once:
    # run twice on undo, the insert would collide with itself and fail the batch.
    manager = PostgresTenantManager(PostgresConfig(pg))
    store = await manager.get("group")

    async def alone(ident: str) -> None:
        ex = await store.begin_unit()
        await ex.write_all([(INSERT, {"id": ident})])
        await store.end_unit(keep=True)

    results = await asyncio.gather(
        alone("kept"), _unit(store, "undone", fail=True), return_exceptions=True
    )
    assert results[0] is None, results
    assert isinstance(results[1], ValueError)
    assert await _count(store) == 1
    assert store.undone_with_writes == 1
    await manager.close()


async def test_a_write_that_answers_differently_when_run_again_fails_its_batch(
    pg: str,
) -> None:
    # Undoing a unit runs the batch's other writes again; a write that does not give the
    # same answer (here: a sequence, which a rollback does not turn back) means the data
    # is not what its unit saw, so none of the batch is kept.
    manager = PostgresTenantManager(PostgresConfig(pg))
    store = await manager.get("group")
    admin = await asyncpg.connect(pg)
    await admin.execute('CREATE SEQUENCE "group".tickets')
    await admin.close()
    numbered = sql(
        "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority) "
        "VALUES (:id, 'note', 'test', 't', 'c', nextval('tickets')) RETURNING priority"
    )

    async def ticket(ident: str) -> None:
        ex = await store.begin_unit()
        await ex.write_all((), [(numbered, {"id": ident})])
        await store.end_unit(keep=True)

    results = await asyncio.gather(
        ticket("first"), _unit(store, "undone", fail=True), return_exceptions=True
    )
    assert isinstance(results[0], Unavailable), results
    assert isinstance(results[1], ValueError), results
    await _unit(store, "after")
    assert await _count(store) == 1
    await manager.close()


async def test_a_lost_connection_acknowledges_none_of_its_batch(pg: str) -> None:
    # The batch's connection dies before its COMMIT: every unit of the batch fails (none is
    # answered as durable), nothing of it is stored, and the next writers are served.
    manager = PostgresTenantManager(PostgresConfig(pg))
    store = await manager.get("group")

    async def doomed(ident: str) -> None:
        ex = await store.begin_unit()
        await ex.run(INSERT, {"id": ident})
        if ident == "last":
            pid = await ex.one(sql("SELECT pg_backend_pid()"))
            assert pid is not None
            admin = await asyncpg.connect(pg)
            await admin.execute("SELECT pg_terminate_backend($1)", pid[0])
            await admin.close()
        await store.end_unit(keep=True)

    results = await asyncio.gather(doomed("first"), doomed("last"), return_exceptions=True)
    assert all(isinstance(r, Unavailable) for r in results), results
    await _unit(store, "after")
    assert await _count(store) == 1
    await manager.close()


async def test_a_writer_cancelled_while_its_batch_is_open_strands_nobody(pg: str) -> None:
    # A WebSocket command whose connection drops while it waits for its commit is cancelled;
    # its unit still commits (and publishes), and the other units of the batch are answered.
    manager = PostgresTenantManager(PostgresConfig(pg))
    store = await manager.get("group")
    published: list[str] = []
    wrote = asyncio.Event()

    async def unit(ident: str) -> None:
        ex = await store.begin_unit()
        await ex.run(INSERT, {"id": ident})
        wrote.set()
        await store.end_unit(True, on_commit=lambda: published.append(ident))

    first = asyncio.create_task(unit("gone"))
    await wrote.wait()  # "gone" has ended its unit and waits for the batch's commit
    first.cancel()
    await asyncio.wait_for(asyncio.gather(unit("a"), unit("b")), timeout=5)
    assert first.cancelled()
    assert published == ["gone", "a", "b"]
    assert await _count(store) == 3
    await manager.close()
