"""bench.report's PostgreSQL rows: the two-instance fan-out is graded on latency and counts."""

from __future__ import annotations

from typing import Any

from bench.report import postgres_rows


def _round(name: str, rps: float) -> dict[str, Any]:
    return {"name": name, "rps": rps, "errors": 0, "p50_ms": 1.0, "p99_ms": 2.0}


def _pg(fanout: dict[str, Any] | None) -> dict[str, Any]:
    names = ("baseline GET", "GET by id", "baseline POST", "POST create")
    out: dict[str, Any] = {"rounds": [[_round(n, 100.0) for n in names]]}
    if fanout is not None:
        out["fanout"] = fanout
    return out


def _run(p99: float, lost: int = 0, reordered: int = 0) -> dict[str, Any]:
    return {
        "deliveries": 40_000 - lost,
        "lost": lost,
        "reordered": reordered,
        "closed": 0,
        "p50_ms": p99 / 2,
        "p99_ms": p99,
    }


def _fanout(*runs: dict[str, Any]) -> dict[str, Any]:
    return {"latency": list(runs), "subscribers": 1000, "rate": 20.0}


def test_the_fanout_row_is_met_only_in_time_and_with_nothing_lost() -> None:
    (row,) = postgres_rows(_pg(_fanout(_run(30.0), _run(40.0), _run(45.0))))[2:]
    assert "1,000 subscribers" in row.name
    assert "20 events/s" in row.name
    assert row.value == "0 lost or reordered in 120,000 deliveries"
    assert row.p99 == "40.00"
    assert row.met is True
    (late,) = postgres_rows(_pg(_fanout(_run(60.0), _run(70.0), _run(45.0))))[2:]
    assert late.met is False
    (lossy,) = postgres_rows(_pg(_fanout(_run(30.0, lost=1), _run(30.0, reordered=2))))[2:]
    assert lossy.value.startswith("3 lost or reordered")
    assert lossy.met is False


def test_a_skipped_fanout_says_why_and_older_results_have_no_such_row() -> None:
    (skipped,) = postgres_rows(_pg({"skipped": "redis-server is not installed"}))[2:]
    assert skipped.value == "skipped: redis-server is not installed"
    assert skipped.met is None
    assert len(postgres_rows(_pg(None))) == 2
