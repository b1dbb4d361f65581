"""How hard the fuzz and property tests push: small in `make test`, more under `make fuzz`.

`make fuzz` sets FUZZ_EXAMPLES (and FUZZ_STEPS); the defaults keep the normal run fast.
"""

from __future__ import annotations

import os


def examples(default: int) -> int:
    """Hypothesis examples per test (FUZZ_EXAMPLES overrides the default)."""
    return int(os.environ.get("FUZZ_EXAMPLES") or default)


def steps(default: int) -> int:
    """Steps per stateful run (FUZZ_STEPS overrides the default)."""
    return int(os.environ.get("FUZZ_STEPS") or default)
