"""Time-ordered identifiers (UUID version 7, RFC 9562) so ids sort in creation order."""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_last_ms = 0
_counter = 0

# Random bits come from the OS's CSPRNG in blocks: in the server each os.urandom call
# releases the GIL around a system call, a visible share of a write when made per id
# (docs/performance.md). A forked child must not reuse its parent's block (ids would repeat).
_BLOCK = 4096
_pool = b""
_pos = 0


def _forget_pool() -> None:
    global _pool, _pos
    _pool, _pos = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


def _take(n: int) -> bytes:
    """`n` random bytes from the current block (hold `_lock`)."""
    global _pool, _pos
    if _pos + n > len(_pool):
        _pool, _pos = os.urandom(_BLOCK), 0
    start = _pos
    _pos += n
    return _pool[start:_pos]


def random_bytes(n: int) -> bytes:
    """`n` bytes from the OS's CSPRNG (drawn a block at a time); n ≤ 4096."""
    with _lock:
        return _take(n)


def new_id() -> str:
    """Return a new UUIDv7 string; ids made in one process strictly increase."""
    global _last_ms, _counter
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            _counter = int.from_bytes(_take(2), "big") & 0x7FF
        else:
            # Same (or earlier) millisecond: bump the 12-bit counter (method 1 of RFC 9562 §6.2);
            # on overflow borrow the next millisecond so ordering never breaks.
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
        rand = int.from_bytes(_take(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    h = f"{(ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
