"""The stream follower: another process's commits reach this process's hub, once, in order.

Two connection managers over one data directory stand for two processes (each has its own
SQLite connections, as two workers do).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pm.core.actor import Actor
from pm.core.enums import WorkItemType
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.events.broadcast import decode, encode
from pm.events.follower import DataVersionPoller, Follower
from pm.events.hub import Hub, Topics
from pm.service import events as events_svc
from pm.service import projects
from pm.service import work_items as items
from pm.service.uow import Tenancy

TENANT = "follow"
ALICE = Actor(TENANT, "alice")


class Collector:
    """A subscriber that keeps the seqs it is handed."""

    user_id = "alice"

    def __init__(self) -> None:
        self.seqs: list[int] = []
        self.grew = asyncio.Event()

    def deliver(self, seq: int, frame: bytes) -> None:
        self.seqs.append(seq)
        self.grew.set()

    def revoke(self) -> None:
        raise AssertionError("nobody was removed")


@pytest.fixture
async def managers(data_dir: Path) -> AsyncIterator[tuple[TenantConnectionManager, ...]]:
    here = TenantConnectionManager(StorageConfig(base_path=data_dir))
    there = TenantConnectionManager(StorageConfig(base_path=data_dir))
    yield here, there
    await here.close()
    await there.close()


async def _project(tenancy: Tenancy) -> str:
    async with tenancy.unit_of_work(ALICE) as uow:
        return (await projects.create_project(uow, "FOL", "Followed")).id


async def _item(tenancy: Tenancy, project: str) -> None:
    async with tenancy.unit_of_work(ALICE) as uow:
        await items.create_work_item(uow, project, items.NewWorkItem(WorkItemType.TASK, "t"))


async def _until(collector: Collector, count: int) -> None:
    async with asyncio.timeout(10):
        while len(collector.seqs) < count:
            collector.grew.clear()
            await collector.grew.wait()


async def _subscribe(hub: Hub, project: str) -> Collector:
    collector = Collector()
    await hub.prepare(TENANT)
    hub.subscribe(TENANT, collector, Topics(project_ids=frozenset({project})))
    return collector


@dataclass
class Pair:
    """A follower in the first process, a tenancy in each, a subscriber to one project."""

    hub: Hub
    follower: Follower
    local: Tenancy
    remote: Tenancy
    project: str
    collector: Collector


@pytest.fixture
async def pair(
    managers: tuple[TenantConnectionManager, TenantConnectionManager],
) -> AsyncIterator[Pair]:
    here, there = managers
    hub = Hub()
    follower = Follower(hub, here)
    remote = Tenancy(there)
    project = await _project(remote)
    collector = await _subscribe(hub, project)
    yield Pair(hub, follower, Tenancy(here, follower.offer), remote, project, collector)
    await follower.close()


async def test_commits_of_both_processes_arrive_in_seq_order(pair: Pair) -> None:
    poller = DataVersionPoller(pair.follower, 0.002)
    poller.start()
    local, remote, project = pair.local, pair.remote, pair.project
    # Interleaved, some at once: local commits find holes that the other process filled.
    for n in range(10):
        await asyncio.gather(_item(local, project), _item(remote, project), _item(local, project))
        if n % 3 == 0:
            await _item(remote, project)
    await _until(pair.collector, 34)
    seqs = pair.collector.seqs
    assert seqs == list(range(seqs[0], seqs[0] + 34))
    await asyncio.sleep(0.05)
    assert len(seqs) == 34  # and none twice
    await poller.close()


async def test_a_local_commit_after_a_hole_delivers_the_hole_first_without_a_notifier(
    pair: Pair,
) -> None:
    # No notifier: only the local commit reveals the other process's.
    await _item(pair.remote, pair.project)
    await _item(pair.remote, pair.project)
    assert pair.collector.seqs == []
    await _item(pair.local, pair.project)
    await _until(pair.collector, 3)
    seqs = pair.collector.seqs
    assert seqs == [seqs[0], seqs[0] + 1, seqs[0] + 2]


async def test_the_last_subscriber_leaving_stops_following_and_frees_the_store(
    pair: Pair, managers: tuple[TenantConnectionManager, TenantConnectionManager]
) -> None:
    store = await managers[0].get(TENANT)
    assert TENANT in pair.follower.followed
    assert store.leases == 1
    pair.hub.unsubscribe(TENANT, pair.collector, Topics(project_ids=frozenset({pair.project})))
    assert TENANT not in pair.follower.followed
    assert store.leases == 0


async def test_a_broadcast_message_is_delivered_as_it_is_or_after_its_hole(pair: Pair) -> None:
    await _item(pair.remote, pair.project)
    await _item(pair.remote, pair.project)
    async with pair.remote.reading(ALICE) as reader:
        page = await events_svc.since(reader, 0, 100)
    first, second = page.events[-2:]
    # As it came over the wire (encoded and decoded), after a hole: the hole is read first.
    origin, decoded = decode(encode(b"other", [second]))
    assert origin == b"other"
    assert decoded == [second]
    pair.follower.receive(TENANT, decoded)
    await _until(pair.collector, 2)
    assert pair.collector.seqs == [first.seq, second.seq]
    # The next one is delivered at once, with no read.
    await _item(pair.remote, pair.project)
    async with pair.remote.reading(ALICE) as reader:
        (third,) = (await events_svc.since(reader, second.seq, 10)).events
    pair.follower.receive(TENANT, [third])
    assert pair.collector.seqs == [first.seq, second.seq, third.seq]
