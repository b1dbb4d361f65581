"""Token buckets: bursts up to `burst`, then `rate` per second, with an honest wait."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pm.core.ratelimit import TokenBucket


def test_a_full_bucket_allows_a_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=1.0, burst=3, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.remaining == 0


def test_tokens_come_back_at_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=2, now=0.0)
    assert bucket.take(0.0)
    assert bucket.take(0.0)
    assert not bucket.take(0.25)  # half a token back
    assert bucket.wait() == pytest.approx(0.25)
    assert bucket.take(0.5)  # one whole token
    assert not bucket.take(0.5)


def test_an_idle_bucket_never_holds_more_than_its_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=2, now=0.0)
    assert bucket.take(1000.0)
    assert bucket.remaining == 1
    assert bucket.take(1000.0)
    assert not bucket.take(1000.0)


def test_the_wait_is_zero_while_tokens_are_left() -> None:
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    assert bucket.take(0.0)
    assert bucket.wait() == 0.0
    assert bucket.remaining == 4


@given(
    rate=st.floats(0.5, 100.0),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0.0, 0.5), min_size=1, max_size=200),
)
def test_never_more_than_the_burst_plus_the_rate_over_any_run(
    rate: float, burst: int, gaps: list[float]
) -> None:
    bucket = TokenBucket(rate, burst, now=0.0)
    now, taken = 0.0, 0
    for gap in gaps:
        now += gap
        taken += bucket.take(now)
    assert taken <= burst + rate * now + 1e-9


@given(rate=st.floats(0.5, 100.0), burst=st.integers(1, 50), idle=st.floats(0.0, 10.0))
def test_a_refused_caller_that_waits_as_told_is_served(
    rate: float, burst: int, idle: float
) -> None:
    bucket = TokenBucket(rate, burst, now=0.0)
    now = idle
    while bucket.take(now):
        pass
    now += bucket.wait() * (1 + 1e-9) + 1e-12
    assert bucket.take(now)
