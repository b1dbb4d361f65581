"""The stream follower: another process's commits reach this process's hub, once, in order.

Two connection managers over one data directory stand for two processes (each has its own
SQLite connections, as two workers do).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pm.core.actor import Actor
from pm.core.enums import WorkItemType
from pm.db.tenants import StorageConfig, TenantConnectionManager
from pm.events.follower import DataVersionPoller, Follower
from pm.events.hub import Hub, Topics
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


async def test_commits_of_both_processes_arrive_in_seq_order(
    managers: tuple[TenantConnectionManager, TenantConnectionManager],
) -> None:
    here, there = managers
    hub = Hub()
    follower = Follower(hub, here)
    poller = DataVersionPoller(follower, 0.002)
    poller.start()
    local, remote = Tenancy(here, follower.offer), Tenancy(there)
    project = await _project(remote)
    collector = await _subscribe(hub, project)
    # Interleaved, some at once: local commits find holes that the other process filled.
    for n in range(10):
        await asyncio.gather(_item(local, project), _item(remote, project), _item(local, project))
        if n % 3 == 0:
            await _item(remote, project)
    await _until(collector, 34)
    first = collector.seqs[0]
    assert collector.seqs == list(range(first, first + 34))
    await asyncio.sleep(0.05)
    assert len(collector.seqs) == 34  # and none twice
    await poller.close()
    await follower.close()


async def test_a_local_commit_after_a_hole_delivers_the_hole_first_without_a_notifier(
    managers: tuple[TenantConnectionManager, TenantConnectionManager],
) -> None:
    here, there = managers
    hub = Hub()
    follower = Follower(hub, here)  # no notifier: only local commits reveal the others'
    local, remote = Tenancy(here, follower.offer), Tenancy(there)
    project = await _project(remote)
    collector = await _subscribe(hub, project)
    await _item(remote, project)
    await _item(remote, project)
    assert collector.seqs == []
    await _item(local, project)
    await _until(collector, 3)
    first = collector.seqs[0]
    assert collector.seqs == [first, first + 1, first + 2]
    await follower.close()


async def test_the_last_subscriber_leaving_stops_following_and_frees_the_store(
    managers: tuple[TenantConnectionManager, TenantConnectionManager],
) -> None:
    here, there = managers
    hub = Hub()
    follower = Follower(hub, here)
    project = await _project(Tenancy(there))
    collector = await _subscribe(hub, project)
    store = await here.get(TENANT)
    assert TENANT in follower.followed
    assert store.leases == 1
    hub.unsubscribe(TENANT, collector, Topics(project_ids=frozenset({project})))
    assert TENANT not in follower.followed
    assert store.leases == 0
