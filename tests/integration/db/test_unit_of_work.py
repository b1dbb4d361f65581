"""The unit of work's held-back writes and its last statement, on both engines: a queued
write is seen by the unit's next read, rides with the event otherwise, and goes with the
unit when it is undone; a claim decides whether the unit stands. And the batch's memo:
creations in one batch share their project's read until a unit may have changed it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pm.core.actor import Actor
from pm.core.enums import EntityType, WorkItemType
from pm.core.errors import Conflict, Forbidden, InvalidInput
from pm.core.members import Role
from pm.db.pgtenants import PostgresTenantManager
from pm.db.postgres import PostgresConfig
from pm.db.query import sql
from pm.db.repos import events
from pm.db.repos import idempotency as keys
from pm.db.repos import projects as project_repo
from pm.db.repos.idempotency import StoredResponse
from pm.db.repos.work_items import ItemFilter
from pm.db.store import TenantManager
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.service import idempotency, members, projects, work_items
from pm.service.uow import Tenancy, UnitOfWork
from pm.service.work_items import NewWorkItem
from tests.conftest import drop_tenant_schemas

NOTE = sql(
    "INSERT INTO pm_llm_context (id, context_type, category, title, content, priority) "
    "VALUES (:id, 'note', 'uow', 't', 'c', 0)"
)
NOTES = sql("SELECT id FROM pm_llm_context WHERE category = 'uow' ORDER BY id")
ACTOR = Actor("uow", "alice", is_tenant_admin=True)
EPIC, STORY = WorkItemType.EPIC, WorkItemType.STORY
T = TypeVar("T")


class Taken(Exception):
    """The unit's claim found its key taken."""


@pytest.fixture(params=["sqlite", "postgres"])
def engine_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite; the test database on PostgreSQL (skipped when it is absent)."""
    return None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def tenancy(engine_url: str | None, data_dir: Path) -> AsyncIterator[Tenancy]:
    """A service entry over a fresh tenant on each engine."""
    manager: TenantManager
    if engine_url is None:
        manager = TenantConnectionManager(StorageConfig(data_dir))
    else:
        manager = PostgresTenantManager(PostgresConfig(engine_url))
    yield Tenancy(manager)
    await manager.close()
    if engine_url is not None:
        await asyncio.to_thread(drop_tenant_schemas, engine_url)


async def _notes(tenancy: Tenancy) -> list[str]:
    async with tenancy.reading(ACTOR) as reader:
        return [r[0] for r in await reader.ex.all(NOTES)]


async def _last_seq(tenancy: Tenancy) -> int:
    async with tenancy.reading(ACTOR) as reader:
        return await events.last_seq(reader.ex)


async def _titles(tenancy: Tenancy, project: str) -> list[str]:
    async with tenancy.reading(ACTOR) as reader:
        items = await work_items.list_work_items(reader, project, ItemFilter(), 0, 100)
    return [i.title for i in items]


async def _project(tenancy: Tenancy) -> str:
    async with tenancy.unit_of_work(ACTOR) as uow:
        return (await projects.create_project(uow, "UOW", "Units of work")).id


async def test_a_queued_write_is_seen_by_the_units_next_read(tenancy: Tenancy) -> None:
    async with tenancy.unit_of_work(ACTOR) as uow:
        uow.later((NOTE, {"id": "a"}))
        uow.later((NOTE, {"id": "b"}))
        assert [r[0] for r in await uow.ex.all(NOTES)] == ["a", "b"]
        uow.later((NOTE, {"id": "c"}))
    assert await _notes(tenancy) == ["a", "b", "c"]


async def test_a_created_item_is_there_for_the_rest_of_its_unit(tenancy: Tenancy) -> None:
    project = await _project(tenancy)
    async with tenancy.unit_of_work(ACTOR) as uow:
        epic = await work_items.create_work_item(uow, project, NewWorkItem(EPIC, "E"))
        # Creating the child reads its parent back: the held-back insert runs first.
        story = await work_items.create_work_item(
            uow, project, NewWorkItem(STORY, "S", parent_id=epic.id)
        )
    async with tenancy.reading(ACTOR) as reader:
        tree = await work_items.get_work_item(reader, epic.id)
    assert tree.descendant_ids == [story.id]


async def test_an_undone_unit_takes_its_queued_writes_with_it(tenancy: Tenancy) -> None:
    async def regret() -> None:
        async with tenancy.unit_of_work(ACTOR) as uow:
            uow.later((NOTE, {"id": "gone"}))
            raise RuntimeError("changed my mind")

    async def duplicate(project: str) -> None:
        async with tenancy.unit_of_work(ACTOR) as uow:
            await work_items.create_work_item(uow, project, NewWorkItem(STORY, "kept?"))
            uow.later((NOTE, {"id": "dup"}))
            uow.later((NOTE, {"id": "dup"}))

    before = await _last_seq(tenancy)
    with pytest.raises(RuntimeError, match="changed my mind"):
        await regret()
    project = await _project(tenancy)
    with pytest.raises(Conflict):  # the queued insert fails in the unit's last statement
        await duplicate(project)
    assert await _notes(tenancy) == []
    assert await _last_seq(tenancy) == before + 1  # the project's event only
    assert await _titles(tenancy, project) == []


async def _claimed(uow: UnitOfWork, key: str) -> bool:
    uow.later((NOTE, {"id": f"note-{key}-{len(await uow.ex.all(NOTES))}"}))
    return await uow.flush(keys.putting("alice", key, StoredResponse("f", 201, b"{}"), uow.now, 0))


async def test_a_claim_rides_with_the_event_and_decides(tenancy: Tenancy) -> None:
    project = await _project(tenancy)
    async with tenancy.unit_of_work(ACTOR) as uow:
        await work_items.create_work_item(uow, project, NewWorkItem(STORY, "first"))
        assert await _claimed(uow, "k1")
    seq = await _last_seq(tenancy)

    async def again() -> None:
        async with tenancy.unit_of_work(ACTOR) as uow:
            await work_items.create_work_item(uow, project, NewWorkItem(STORY, "again"))
            if not await _claimed(uow, "k1"):  # the key holds an answer: undo the unit
                raise Taken

    with pytest.raises(Taken):
        await again()
    async with tenancy.unit_of_work(ACTOR) as uow:  # no event: the claim runs on its own
        assert await _claimed(uow, "k2")
    assert await _last_seq(tenancy) == seq
    assert await _notes(tenancy) == ["note-k1-0", "note-k2-1"]
    assert await _titles(tenancy, project) == ["first"]


async def test_nothing_is_collected_after_a_flush(tenancy: Tenancy) -> None:
    async with tenancy.unit_of_work(ACTOR) as uow:
        await uow.flush()
        with pytest.raises(RuntimeError, match="flushed"):
            uow.later((NOTE, {"id": "late"}))
        with pytest.raises(RuntimeError, match="flushed"):
            uow.log(EntityType.PROJECT, "p", None, "late")
        with pytest.raises(RuntimeError, match="flushed"):
            await uow.flush()
    assert await _notes(tenancy) == []


async def test_a_dry_run_runs_every_held_back_write(tenancy: Tenancy) -> None:
    async def duplicate(uow: UnitOfWork) -> None:
        uow.later((NOTE, {"id": "twice"}))
        uow.later((NOTE, {"id": "twice"}))

    async def fine(uow: UnitOfWork) -> str:
        uow.later((NOTE, {"id": "once"}))
        return "ok"

    with pytest.raises(Conflict):
        await tenancy.rehearse(ACTOR, duplicate)
    assert await tenancy.rehearse(ACTOR, fine) == "ok"
    assert await _notes(tenancy) == []


@pytest.fixture
def project_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a project's next item number (the project as named)."""
    reads: list[str] = []
    read = project_repo.next_item_number

    async def counting(
        ex: object, id_or_key: str, user_id: str, status: str
    ) -> project_repo.TakenNumber | None:
        reads.append(id_or_key)
        return await read(ex, id_or_key, user_id, status)  # type: ignore[arg-type]

    monkeypatch.setattr(project_repo, "next_item_number", counting)
    return reads


async def _create(tenancy: Tenancy, actor: Actor, project: str, title: str) -> int:
    async with tenancy.unit_of_work(actor) as uow:
        item = await work_items.create_work_item(uow, project, NewWorkItem(STORY, title))
        return item.item_number


async def test_creations_in_one_batch_read_their_project_once(
    tenancy: Tenancy, project_reads: list[str]
) -> None:
    project = await _project(tenancy)
    # One batch (they queue for the writer's turn together): the project by id and by key.
    names = [project, "UOW"] * 4
    numbers = await asyncio.gather(
        *(_create(tenancy, ACTOR, name, f"s{n}") for n, name in enumerate(names))
    )
    assert sorted(numbers) == list(range(1, 9))
    assert project_reads == [project, "UOW"]  # one read per name, in the first batch
    assert await _create(tenancy, ACTOR, project, "later") == 9  # a new batch reads again
    assert project_reads[2:] == [project]


async def test_a_role_changed_in_the_batch_holds_for_its_next_creation(
    tenancy: Tenancy, project_reads: list[str]
) -> None:
    project = await _project(tenancy)
    bob = Actor("uow", "bob")
    async with tenancy.unit_of_work(ACTOR) as uow:
        await members.set_member(uow, project, "bob", Role.EDITOR)

    async def demote() -> None:
        async with tenancy.unit_of_work(ACTOR) as uow:
            await members.set_member(uow, project, "bob", Role.VIEWER)

    first, _, second = await asyncio.gather(
        _create(tenancy, bob, project, "a"),
        demote(),
        _create(tenancy, bob, project, "b"),
        return_exceptions=True,
    )
    assert first == 1
    assert isinstance(second, Forbidden)
    assert project_reads == [project, project]  # read again after the change


async def test_a_refused_creation_leaves_the_next_its_number(
    tenancy: Tenancy, project_reads: list[str]
) -> None:
    project = await _project(tenancy)
    results = await asyncio.gather(
        _create(tenancy, ACTOR, project, "a"),
        _create(tenancy, ACTOR, project, "  "),  # refused after its number was taken
        _create(tenancy, ACTOR, project, "b"),
        return_exceptions=True,
    )
    assert results[0] == 1
    assert isinstance(results[1], InvalidInput)
    assert results[2] == 2
    assert len(project_reads) == 2  # the refused unit cleared the memo


async def test_bulk_creations_share_the_memo(tenancy: Tenancy, project_reads: list[str]) -> None:
    project = await _project(tenancy)

    async def bulk(titles: list[str]) -> list[int]:
        async with tenancy.unit_of_work(ACTOR) as uow:
            news = [NewWorkItem(STORY, t) for t in titles]
            return [i.item_number async for i in work_items.create_work_items(uow, project, news)]

    together = await asyncio.gather(
        bulk(["a", "b", "c"]), _create(tenancy, ACTOR, project, "d"), bulk(["e", "f"])
    )
    assert together == [[1, 2, 3], 4, [5, 6]]
    assert project_reads == [project]


async def test_a_project_changed_earlier_in_the_unit_is_read_again(
    tenancy: Tenancy, project_reads: list[str]
) -> None:
    project = await _project(tenancy)
    rename = sql("UPDATE pm_projects SET key = 'MOVED' WHERE id = :id")
    async with tenancy.unit_of_work(ACTOR) as uow:
        first = await work_items.create_work_item(uow, project, NewWorkItem(STORY, "a"))
        await uow.ex.run(rename, {"id": project})
        second = await work_items.create_work_item(uow, project, NewWorkItem(STORY, "b"))
    assert (first.key, second.key) == ("UOW-1", "MOVED-2")
    assert project_reads == [project, project]


async def _in_one_batch(tenancy: Tenancy, *work: Coroutine[Any, Any, T]) -> list[T | BaseException]:
    """Run coroutines while a unit holds the writer's turn: they queue behind it and join
    its batch, in order (on PostgreSQL their last statements go together: `PgStore.park`)."""
    async with tenancy.unit_of_work(ACTOR):
        tasks = [asyncio.ensure_future(w) for w in work]
        await asyncio.sleep(0.05)  # each is waiting for the turn now
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def _keyed(tenancy: Tenancy, project: str, key: str, title: str) -> tuple[int, bool]:
    """A keyed creation: the item's number it answered (or first answered), and whether
    this was the first answer."""

    async def write(uow: UnitOfWork) -> tuple[int, bytes]:
        item = await work_items.create_work_item(uow, project, NewWorkItem(STORY, title))
        return 201, str(item.item_number).encode()

    digest = idempotency.fingerprint(title.encode())
    stored, first = await idempotency.once(tenancy, ACTOR, key, digest, write)
    return int(stored.body), first


async def test_one_key_in_one_batch_answers_once(tenancy: Tenancy) -> None:
    project = await _project(tenancy)
    results = await _in_one_batch(
        tenancy,
        _keyed(tenancy, project, "k", "a"),
        _keyed(tenancy, project, "k", "a"),  # a retry racing the first attempt
        _keyed(tenancy, project, "k", "b"),  # the key on another request
    )
    assert results[:2] == [(1, True), (1, False)]
    assert isinstance(results[2], InvalidInput)
    assert await _titles(tenancy, project) == ["a"]
    assert await _create(tenancy, ACTOR, project, "next") == 2


async def test_a_creation_taken_out_of_its_batch_leaves_no_number_taken_twice(
    tenancy: Tenancy,
) -> None:
    # On PostgreSQL the retry's creation is taken out of the batch only when its parked
    # statement is sent, after the next creations took the numbers after its own.
    project = await _project(tenancy)
    assert await _keyed(tenancy, project, "k", "a") == (1, True)
    retry, later, last = await _in_one_batch(
        tenancy,
        _keyed(tenancy, project, "k", "a"),
        _keyed(tenancy, project, "l", "b"),
        _keyed(tenancy, project, "m", "c"),
    )
    assert retry == (1, False)
    assert isinstance(later, tuple)
    assert isinstance(last, tuple)
    assert (later[1], last[1]) == (True, True)
    assert later[0] < last[0]
    assert await _create(tenancy, ACTOR, project, "d") > last[0]
    assert await _titles(tenancy, project) == ["a", "b", "c", "d"]
