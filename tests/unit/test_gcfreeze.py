"""The freeze policy keeps connections out of full collections without leaking their cycles."""

from __future__ import annotations

import gc
import weakref

from pm.ws.gcfreeze import FreezePolicy


class Node:
    """Something that ends up in a reference cycle."""

    other: object | None = None


def _cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_opening_freezes_and_a_due_reclaim_frees_frozen_cycles() -> None:
    policy = FreezePolicy(min_interval=0.0, reclaim_every=0.0)
    try:
        alive = _cycle()
        policy.opened()
        assert gc.get_freeze_count() > 0
        gc.collect()
        assert alive() is not None  # frozen: full collections leave it alone
        policy.closed()  # the reclaim is due at once
        assert alive() is None
        assert gc.get_freeze_count() > 0  # and the rest is frozen again
    finally:
        gc.unfreeze()


def test_reclaims_are_rate_limited() -> None:
    policy = FreezePolicy(min_interval=3600.0, reclaim_every=3600.0)
    try:
        alive = _cycle()
        policy.opened()
        policy.closed()
        gc.collect()
        assert alive() is not None
        assert policy.closed_since_reclaim == 1
    finally:
        gc.unfreeze()
        gc.collect()


def test_churn_reclaims_once_as_many_closed_as_are_open() -> None:
    policy = FreezePolicy(min_interval=0.0, reclaim_every=3600.0)
    try:
        for _ in range(100):
            policy.opened()
        for _ in range(63):
            policy.closed()
        assert policy.closed_since_reclaim == 63  # 63 closed, 37 open: not yet
        policy.closed()
        assert policy.closed_since_reclaim == 0  # 64 closed (the floor): reclaimed
    finally:
        gc.unfreeze()
        gc.collect()
