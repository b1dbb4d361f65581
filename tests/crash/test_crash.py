"""Acknowledged writes survive `kill -9` of the server, and retries never write twice."""

from __future__ import annotations

import os
import random
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET
from tests.crash.harness import (
    API,
    TENANT,
    Item,
    Write,
    check_file,
    headers,
    run_rounds,
    setup,
    start_ours,
    verify,
)
from tests.live import stop

ROUNDS = int(os.environ.get("CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("CRASH_SEED", str(random.randrange(2**32))))


@pytest.mark.slow
@pytest.mark.timeout(120 + 30 * ROUNDS)  # server restarts are slow on a loaded machine
def test_acknowledged_writes_survive_kill_9(data_dir: Path, database_url: str | None) -> None:
    # A secret of its own: a server of another test that took a freed port refuses it.
    report = run_rounds(data_dir, f"{SECRET}-{uuid.uuid4()}", ROUNDS, SEED, database_url)
    print(f"\n{report.summary()}")
    assert report.failures == [], "\n".join([report.summary(), *report.failures])
    assert report.rounds == ROUNDS
    assert report.acknowledged > 0


def test_the_checks_notice_lost_stale_duplicate_and_unacknowledged_items(data_dir: Path) -> None:
    server = start_ours(data_dir, SECRET)
    try:
        ledger = setup(server, SECRET)
        url = f"{server.url}{API}/projects/{ledger.project_id}/work-items"
        for n in range(3):
            body = {"item_type": "task", "title": f"t{n}"}
            write = Write("POST", url, body, f"k{n}", f"t{n}")
            assert (
                ledger.apply(write, httpx.post(url, json=body, headers=headers(SECRET, write.key)))
                is None
            )
        assert verify(server, ledger) == []
        first, second, _ = ledger.items.values()
        ledger.items["lost"] = Item("lost", "lost", 1, None)
        ledger.acks.append(("lost", 1))
        ledger.items[first.id] = Item(first.id, first.title, 2, "never written")
        duplicate = httpx.post(
            url, json={"item_type": "task", "title": second.title}, headers=headers(SECRET)
        )
        assert duplicate.status_code == 201
        failures = verify(server, ledger)
    finally:
        stop(server)
    assert any("lost is missing" in f for f in failures)
    assert any(f"item {first.id} is (1" in f for f in failures)
    assert any(f"{second.title!r} exists 2 times" in f for f in failures)
    assert any("never acknowledged" in f for f in failures)
    assert check_file(data_dir / "tenants" / TENANT / "main.db") == []
