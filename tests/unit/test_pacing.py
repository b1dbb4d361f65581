"""Webhook sending steps aside while requests saturate the process, and only then."""

from __future__ import annotations

import asyncio
import time

from pm.api.inflight import InFlight
from pm.webhooks.dispatcher import Pacer


def test_busy_time_counts_the_time_with_any_request_in_progress() -> None:
    load = InFlight()
    assert load.busy() == 0.0
    load.enter()
    load.enter()  # two at once count once
    time.sleep(0.02)
    load.leave()
    during = load.busy()
    assert during >= 0.02
    load.leave()
    after = load.busy()
    time.sleep(0.02)
    assert load.busy() == after  # idle time is not busy time
    assert load.count == 0


async def test_a_saturated_process_makes_an_attempt_wait() -> None:
    clock = {"busy": 0.0}
    pacer = Pacer(lambda: clock["busy"], window=0.01, saturated=0.8, pause=0.05)
    await asyncio.sleep(0.02)
    clock["busy"] = 0.02  # busy the whole window
    started = time.monotonic()
    await pacer.turn()
    assert time.monotonic() - started >= 0.05


async def test_a_process_with_spare_time_sends_at_once() -> None:
    clock = {"busy": 0.0}
    pacer = Pacer(lambda: clock["busy"], window=0.01, saturated=0.8, pause=0.5)
    await asyncio.sleep(0.02)
    clock["busy"] = 0.005  # a quarter of the window
    started = time.monotonic()
    await pacer.turn()
    assert time.monotonic() - started < 0.1
