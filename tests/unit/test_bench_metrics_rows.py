"""bench.report's metrics row: the median of every window pair's on / off ratio."""

from __future__ import annotations

from typing import Any

from bench.report import metrics_pairs, rest_rows
from bench.rest import METRICS_PAIR

NAMES = (
    "baseline GET",
    "GET by id",
    "baseline POST",
    "POST create",
    "baseline PATCH",
    "PATCH status",
    "list 50 of 1k",
    "list 50 of 100k",
)


def _result(name: str, rps: float) -> dict[str, Any]:
    return {"name": name, "rps": rps, "errors": 0, "p50_ms": 1.0, "p99_ms": 2.0}


def _round(pairs: list[tuple[float, float]]) -> list[dict[str, Any]]:
    metered = [
        _result(f"{name} {k}", rps)
        for k, (on, off) in enumerate(pairs)
        for name, rps in zip(METRICS_PAIR, (on, off), strict=True)
    ]
    return [_result(n, 100.0) for n in NAMES] + metered


def _row(rounds: list[list[dict[str, Any]]]) -> Any:
    return next(r for r in rest_rows({"rounds": rounds}) if "metrics" in r.name)


def test_every_pair_of_every_round_counts_once() -> None:
    first, second = [(98.0, 100.0), (100.0, 100.0), (99.0, 100.0)], [(50.0, 100.0), (97.0, 100.0)]
    rounds = [_round(first), _round(second)]
    assert metrics_pairs(rounds) == first + second
    row = _row(rounds)
    assert row.ratio.startswith("0.98")  # the median: one slow window does not decide
    assert row.met
    assert "5 window pairs" in row.value


def test_metrics_costing_more_than_three_percent_miss() -> None:
    row = _row([_round([(95.0, 100.0), (96.0, 100.0), (94.0, 100.0)])])
    assert not row.met


def test_runs_before_the_pairs_pair_get_by_id_with_its_unmetered_run() -> None:
    old = [_result(n, 100.0) for n in NAMES] + [_result("GET by id, metrics off", 80.0)]
    assert metrics_pairs([old]) == [(100.0, 80.0)]
