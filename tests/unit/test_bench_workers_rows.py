"""bench.report's two-worker rows: targets at saturating load, the 16-connection figure beside."""

from __future__ import annotations

from typing import Any

from bench.report import workers_rows
from bench.workers import CONNECTIONS

LATENCY = [{"lost": 0, "reordered": 0, "closed": 0, "deliveries": 10, "p50_ms": 1, "p99_ms": 2}]


def _measured(rps: dict[str, float]) -> dict[str, Any]:
    return {
        name: {"rps": value, "errors": 0, "p50_ms": 1.0, "p99_ms": 2.0}
        for name, value in rps.items()
    }


def _results(one: dict[str, float], two: dict[str, float], **extra: Any) -> dict[str, Any]:
    rounds = [{"1": _measured(one), "2": _measured(two)}]
    return {
        "rounds": rounds,
        "events": {"latency": LATENCY},
        "subscribers": 1,
        "rate": 20.0,
        **extra,
    }


def test_targets_are_judged_and_the_16_connection_post_is_shown_without_one() -> None:
    one = {"GET by id": 100.0, "POST create": 100.0, "POST create, 16 connections": 100.0}
    two = {"GET by id": 150.0, "POST create": 105.0, "POST create, 16 connections": 104.0}
    rows = workers_rows(_results(one, two, connections=CONNECTIONS))

    by_name = {row.name: row for row in rows}
    assert by_name["2 workers: GET by id, 16 connections"].met is True
    post = by_name["2 workers: POST create, 64 connections"]
    assert (post.ratio, post.target, post.met) == ("1.05", "ratio ≥ 1.1", False)
    few = by_name["2 workers: POST create, 16 connections"]
    assert (few.ratio, few.target, few.met) == ("1.04", "", None)


def test_results_saved_before_the_connection_counts_still_report() -> None:
    old = {"GET by id": 100.0, "POST create": 100.0}
    rows = workers_rows(_results(old, {"GET by id": 140.0, "POST create": 120.0}))

    names = [row.name for row in rows]
    assert names[:2] == ["2 workers: GET by id", "2 workers: POST create"]
    assert [row.met for row in rows[:2]] == [True, True]
