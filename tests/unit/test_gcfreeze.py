"""The freeze policy keeps connections out of full collections without leaking their cycles."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from pm.server.gcfreeze import FreezePolicy


class Node:
    """Something that ends up in a reference cycle."""

    other: object | None = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """Every test leaves the collector as it found it: nothing frozen."""
    yield
    gc.unfreeze()
    gc.collect()


def test_opening_freezes_and_a_due_reclaim_frees_frozen_cycles() -> None:
    policy = FreezePolicy(min_interval=0.0, reclaim_every=0.0)
    alive = _cycle()
    policy.opened()
    assert gc.get_freeze_count() > 0
    gc.collect()
    assert alive() is not None  # frozen: full collections leave it alone
    policy.closed()
    policy.tick()  # the reclaim is due at once
    assert alive() is None
    assert gc.get_freeze_count() > 0  # and the rest is frozen again


def test_start_up_freezes_what_is_alive() -> None:
    alive = _cycle()
    FreezePolicy().start()
    gc.collect()
    assert alive() is None  # start-up collects first: garbage is not frozen
    assert gc.get_freeze_count() > 0


def test_reclaims_are_rate_limited() -> None:
    policy = FreezePolicy(min_interval=3600.0, reclaim_every=3600.0)
    alive = _cycle()
    policy.opened()
    policy.closed()
    policy.tick()
    gc.collect()
    assert alive() is not None
    assert policy.closed_since_reclaim == 1


def test_churn_reclaims_once_as_many_closed_as_are_open() -> None:
    policy = FreezePolicy(min_interval=0.0, reclaim_every=3600.0)
    for _ in range(100):
        policy.opened()
    for _ in range(63):
        policy.closed()
    policy.tick()
    assert policy.closed_since_reclaim == 63  # 63 closed, 37 open: not yet
    policy.closed()
    policy.tick()
    assert policy.closed_since_reclaim == 0  # 64 closed (the floor): reclaimed


def test_nothing_frozen_or_closed_since_the_last_reclaim_needs_none() -> None:
    policy = FreezePolicy(min_interval=0.0, reclaim_every=0.0)
    policy.opened()
    policy.tick()
    assert not policy.due()


async def test_the_timer_reclaims_without_waiting_for_another_connection_to_close() -> None:
    policy = FreezePolicy(min_interval=0.02, reclaim_every=3600.0)
    alive = _cycle()
    for _ in range(64):
        policy.opened()
    for _ in range(64):  # all closed at once: churned, the reclaim is due soon
        policy.closed()
    timer = asyncio.create_task(policy.run())
    try:
        for _ in range(200):
            if alive() is None:
                break
            await asyncio.sleep(0.01)
        assert alive() is None
        assert policy.closed_since_reclaim == 0
    finally:
        timer.cancel()
