"""UUIDv7 ids: RFC 9562 layout, strictly increasing within a process, canonical text form."""

from __future__ import annotations

import itertools
import os
import threading
import types
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pm.core import ids


def _fixed_clock(monkeypatch: pytest.MonkeyPatch, readings: list[int]) -> None:
    """Make new_id read the clock from `readings` (in ms), repeating the last one."""
    position = iter(readings)
    last = [readings[0]]

    def time_ns() -> int:
        last[0] = next(position, last[0])
        return last[0] * 1_000_000

    monkeypatch.setattr(ids, "time", types.SimpleNamespace(time_ns=time_ns))
    # Forget what real clock readings were seen; monkeypatch restores both afterwards.
    monkeypatch.setattr(ids, "_last_ms", 0)
    monkeypatch.setattr(ids, "_counter", 0)


def _parts(value: str) -> tuple[int, int, int, int]:
    """(unix ms, version, 12-bit counter, variant bits) of a UUIDv7 string."""
    n = uuid.UUID(value).int
    return n >> 80, (n >> 76) & 0xF, (n >> 64) & 0xFFF, n >> 62 & 0b11


def test_an_id_is_a_canonical_version_7_uuid() -> None:
    value = ids.new_id()
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == value


@settings(max_examples=25)
@given(count=st.integers(min_value=2, max_value=300))
def test_ids_strictly_increase_and_parse_as_version_7(count: int) -> None:
    made = [ids.new_id() for _ in range(count)]
    assert all(a < b for a, b in itertools.pairwise(made))
    assert all(uuid.UUID(a).int < uuid.UUID(b).int for a, b in itertools.pairwise(made))
    for value in made:
        _ms, version, _counter, variant = _parts(value)
        assert (version, variant) == (7, 0b10)


def test_the_timestamp_is_the_clock_in_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, [1_700_000_000_123])
    assert _parts(ids.new_id())[0] == 1_700_000_000_123


def test_a_new_millisecond_starts_the_counter_low(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, [5_000, 5_001])
    first, second = ids.new_id(), ids.new_id()
    assert _parts(first)[0] == 5_000
    assert _parts(second)[0] == 5_001
    # Half the counter space is left for ids of the same millisecond.
    assert _parts(first)[2] <= 0x7FF
    assert _parts(second)[2] <= 0x7FF


def test_ids_of_one_millisecond_count_up(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, [5_000])
    made = [ids.new_id() for _ in range(50)]
    counters = [_parts(value)[2] for value in made]
    assert [c - counters[0] for c in counters] == list(range(50))
    assert {_parts(value)[0] for value in made} == {5_000}
    assert made == sorted(made)


def test_a_full_counter_borrows_the_next_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, [5_000])
    made = [ids.new_id() for _ in range(0x1001)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    stamps = [_parts(value)[0] for value in made]
    assert stamps[0] == 5_000
    assert stamps[-1] == 5_001
    first_borrowed = stamps.index(5_001)
    assert _parts(made[first_borrowed])[2] == 0
    assert _parts(made[first_borrowed - 1])[2] == 0xFFF


def test_a_clock_going_backwards_never_breaks_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_clock(monkeypatch, [9_000, 8_000, 7_000, 9_000, 9_002])
    made = [ids.new_id() for _ in range(5)]
    assert made == sorted(made)
    assert len(set(made)) == 5
    assert [_parts(value)[0] for value in made] == [9_000, 9_000, 9_000, 9_000, 9_002]


def test_ids_made_on_many_threads_are_unique_and_ordered_per_thread() -> None:
    results: list[list[str]] = [[] for _ in range(4)]

    def work(out: list[str]) -> None:
        out.extend(ids.new_id() for _ in range(500))

    threads = [threading.Thread(target=work, args=(out,)) for out in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for out in results:
        assert out == sorted(out)
    everything = [value for out in results for value in out]
    assert len(set(everything)) == len(everything) == 2_000


def test_random_bits_come_from_the_os_a_block_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = ids.os.urandom

    def counting(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(ids.os, "urandom", counting)
    ids._forget_pool()
    made = [ids.new_id() for _ in range(400)]
    chunks = [ids.random_bytes(16) for _ in range(100)]
    assert len(set(made)) == 400
    assert len(set(chunks)) == 100
    assert all(len(c) == 16 for c in chunks)
    # 400 ids take 8-10 random bytes each and 100 request ids 16: 4,800-5,600 bytes, which
    # is two 4 KiB blocks.
    assert calls == [4096, 4096]


def test_a_forked_child_draws_a_fresh_block() -> None:
    ids.random_bytes(1)  # the parent has a block in hand
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next bytes must not be the parent's
        os.write(write, ids.random_bytes(32))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 32)
    os.close(read)
    os.close(write)
    assert child != ids.random_bytes(32)
