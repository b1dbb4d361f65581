"""Medians, ratios and targets from a results document; the table (terminal or Markdown).

`python -m bench.report [bench/results/latest.json]` prints the Markdown table again.
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Targets of the issue (ratios are to the baseline measured in the same run).
RATIO_TARGETS = {"GET by id": 0.60, "POST create": 0.40, "PATCH status": 0.40}
PG_TARGETS = {"GET by id": 0.50, "POST create": 0.25}  # storage on PostgreSQL (issue 12)
TAIL_FACTOR = 5.0
EXPORT_RSS_SLACK_MB = 8.0  # an export of 100k items may peak this much above one of 10k
WEBHOOK_RATIO = 0.9  # POST throughput with 10 subscriptions, as a share of none
WEBHOOK_P99_MS = 100.0  # commit → received at 200 events/s
BULK_SPEEDUP = 10.0  # 1,000 creations in one bulk request vs 1,000 single POSTs
METRICS_COST = 0.03  # GET with metrics may be at most this much slower than without
LIST_FACTOR = 1.5
WS_P99_MS = 50.0
WS_P99_VS_RAW = 2.0
WS_SATURATION_VS_RAW = 0.6
WS_TARGET_CLIENTS = 1000
# A flood from one client: the other clients' p99 may grow by at most this factor over the
# same subscribers' p99 without the flood (same run), and stays within WS_P99_MS.
FLOOD_FACTOR = 1.5
# Two workers against one on this 2-core machine (same run, same conditions).
WORKER_TARGETS = {"GET by id": 1.4, "POST create": 1.1}
# Measured beside them, without a target (bench.workers says why).
WORKER_FIGURES = ("POST create, 16 connections",)
SHORT = {
    "GET by id": "GET",
    "POST create": "POST",
    "PATCH status": "PATCH",
    "list 50 of 1k": "list 1k",
    "list 50 of 100k": "list 100k",
}
# "Bounded by the LRU setting": past twice the cache size, open FDs stay within a few of
# their level there and RSS grows by less than this fraction up to the last tenant.
FD_SLACK = 16
RSS_GROWTH = 0.10


@dataclass
class Row:
    """One line of the table."""

    name: str
    value: str
    baseline: str = ""
    ratio: str = ""
    p50: str = ""
    p99: str = ""
    target: str = ""
    met: bool | None = None


def median(values: list[float]) -> float:
    """The median (0.0 of nothing)."""
    return statistics.median(values) if values else 0.0


def _f(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def metrics_pairs(rounds: list[list[dict[str, Any]]]) -> list[tuple[float, float]]:
    """(GET req/s with metrics, without) of each window pair of every round; the runs made
    before the pairs (one "GET by id, metrics off" a round, always second) pair with the
    round's "GET by id"."""
    pairs = []
    for rnd in rounds:
        by_name = {r["name"]: r["rps"] for r in rnd}
        k = 0
        while f"metrics on {k}" in by_name:
            pairs.append((by_name[f"metrics on {k}"], by_name[f"metrics off {k}"]))
            k += 1
        if "GET by id, metrics off" in by_name:
            pairs.append((by_name["GET by id"], by_name["GET by id, metrics off"]))
    return pairs


def rest_rows(rest: dict[str, Any]) -> list[Row]:
    """GET/POST/PATCH against their baselines; lists; the tail of every endpoint."""
    rounds = rest["rounds"]

    def series(name: str, key: str) -> list[float]:
        return [next(r[key] for r in rnd if r["name"] == name) for rnd in rounds]

    def row(name: str, **kw: Any) -> Row:
        errors = sum(series(name, "errors"))
        failed = f" ({errors:.0f} errors)" if errors else ""
        return Row(
            name,
            f"{_f(median(series(name, 'rps')), 0)} req/s{failed}",
            p50=_f(median(series(name, "p50_ms"))),
            p99=_f(median(series(name, "p99_ms"))),
            **kw,
        )

    rows = []
    for name, target in RATIO_TARGETS.items():
        base = "baseline " + name.split()[0]
        pairs = zip(series(name, "rps"), series(base, "rps"), strict=True)
        ratio = median([a / b if b else 0.0 for a, b in pairs])
        errors = sum(series(name, "errors"))
        rows.append(
            row(
                name,
                baseline=f"{_f(median(series(base, 'rps')), 0)} req/s",
                ratio=_f(ratio),
                target=f"ratio ≥ {target:.2f}",
                met=ratio >= target and not errors,
            )
        )
    metered = metrics_pairs(rounds)
    if metered:
        kept = median([on / off for on, off in metered if off])
        rows.append(
            Row(
                "GET by id, metrics on / off",
                f"{_f(median([on for on, _ in metered]), 0)} / "
                f"{_f(median([off for _, off in metered]), 0)} req/s, {len(metered)} window pairs",
                ratio=f"{_f(kept)} (on / off)",
                target=f"on ≥ {1 - METRICS_COST:.2f} × off",
                met=kept >= 1 - METRICS_COST,
            )
        )
    small, large = "list 50 of 1k", "list 50 of 100k"
    rows += [row(small), row(large)]
    growth = median(series(large, "p50_ms")) / max(1e-9, median(series(small, "p50_ms")))
    rows.append(
        Row(
            "list: time of 100k / time of 1k (p50)",
            f"{_f(growth)}×",
            target=f"≤ {LIST_FACTOR:g}×",
            met=growth <= LIST_FACTOR,
        )
    )
    tails = {
        name: median(series(name, "p99_ms")) / max(1e-9, median(series(name, "p50_ms")))
        for name in (*RATIO_TARGETS, small, large)
    }
    worst = max(tails, key=lambda k: tails[k])
    rows.append(
        Row(
            "tail: p99 / p50, every endpoint",
            ", ".join(f"{SHORT[k]} {v:.1f}×" for k, v in tails.items()),
            target=f"≤ {TAIL_FACTOR:g}× (worst: {worst})",
            met=tails[worst] <= TAIL_FACTOR,
        )
    )
    rows += [row(name) for name in ("baseline GET", "baseline POST", "baseline PATCH")]
    return rows


def planning_rows(plan: dict[str, Any]) -> list[Row]:
    """Ready work and the critical path per project size; the target on the largest."""
    rounds = plan["rounds"]
    largest = max(items for items, _links in plan["sizes"])
    reference = plan["reference"]

    def p50(name: str) -> float:
        return median([next(r for r in rnd if r["name"] == name)["p50_ms"] for rnd in rounds])

    out = []
    for result in rounds[0]:
        name = result["name"]
        runs = [next(r for r in rnd if r["name"] == name) for rnd in rounds]
        p99 = median([r["p99_ms"] for r in runs])
        errors = sum(r["errors"] for r in runs)
        answer = plan["answers"].get(name)
        found = f"; {answer['items']} items of {answer['total']:,}" if answer else ""
        graded = f"{largest // 1000}k items" in name
        out.append(
            Row(
                name,
                f"{_f(median([r['rps'] for r in runs]), 0)} req/s, one connection"
                + (f" ({errors} errors)" if errors else "")
                + found,
                baseline="" if name == reference else f"GET by id {_f(p50(reference))} ms",
                ratio="" if name == reference else f"{p50(name) / p50(reference):.1f}× (p50)",
                p50=_f(p50(name)),
                p99=_f(p99),
                target=f"p99 < {plan['p99_ms']:g} ms" if graded else "",
                met=(p99 < plan["p99_ms"] and not errors) if graded else None,
            )
        )
    return out


def ws_rows(ws: dict[str, Any]) -> list[Row]:
    """Latency and saturation of our fan-out next to the raw one, per subscriber count."""
    rows = []
    lost = delivered = 0
    for n, pair in sorted(ws["runs"].items(), key=lambda kv: int(kv[0])):
        ours, raw = pair["pm"], pair["raw"]
        p50 = median([x["p50_ms"] for x in ours["latency"]])
        p99 = median([x["p99_ms"] for x in ours["latency"]])
        raw_p50 = median([x["p50_ms"] for x in raw["latency"]])
        raw_p99 = median([x["p99_ms"] for x in raw["latency"]])
        sat = median([x["deliveries_per_s"] for x in ours["saturation"]])
        raw_sat = median([x["deliveries_per_s"] for x in raw["saturation"]])
        for x in ours["latency"] + ours["saturation"] + raw["latency"] + raw["saturation"]:
            lost += x["lost"] + x["reordered"] + x["closed"]
            delivered += x["deliveries"]
        graded = int(n) == WS_TARGET_CLIENTS
        rows.append(
            Row(
                f"WS {n} subscribers, {ws['rate']:g} events/s: delivery latency",
                f"{median([x['deliveries'] for x in ours['latency']]):,.0f} deliveries/run",
                f"raw {_f(raw_p50)} / {_f(raw_p99)} ms",
                _f(p99 / raw_p99 if raw_p99 else 0.0) + " (p99)",
                _f(p50),
                _f(p99),
                f"p99 ≤ {WS_P99_MS:g} ms and ≤ {WS_P99_VS_RAW:g}× raw" if graded else "",
                (p99 <= WS_P99_MS and p99 <= WS_P99_VS_RAW * raw_p99) if graded else None,
            )
        )
        rows.append(
            Row(
                f"WS {n} subscribers: saturation",
                f"{_f(sat, 0)} deliveries/s",
                f"raw {_f(raw_sat, 0)}/s",
                _f(sat / raw_sat if raw_sat else 0.0),
                target=f"≥ {WS_SATURATION_VS_RAW:g}× raw" if graded else "",
                met=sat >= WS_SATURATION_VS_RAW * raw_sat if graded else None,
            )
        )
    flood = ws.get("flood")
    if flood:
        rows += flood_rows(ws, flood)
        for x in flood["latency"]:
            lost += x["lost"] + x["reordered"] + x["closed"]
            delivered += x["deliveries"]
    rows.append(
        Row(
            "WS: events lost, reordered or clients dropped",
            f"{lost} in {delivered:,} deliveries",
            target="none",
            met=lost == 0,
        )
    )
    return rows


def flood_rows(ws: dict[str, Any], flood: dict[str, Any]) -> list[Row]:
    """The same subscribers with and without one more client flooding; what the flooder got."""
    n = flood["clients"]
    calm, rounds = ws["runs"][str(n)]["pm"]["latency"], flood["latency"]
    p50 = median([x["p50_ms"] for x in rounds])
    p99 = median([x["p99_ms"] for x in rounds])
    calm_p50 = median([x["p50_ms"] for x in calm])
    calm_p99 = median([x["p99_ms"] for x in calm])
    ratio = p99 / calm_p99 if calm_p99 else 0.0
    f = [x["flood"] for x in rounds]

    def med(key: str) -> float:
        return median([float(x[key]) for x in f])

    closes = median([float(x["closes"].get("4029", 0)) for x in f])
    share = med("sent") / max(1.0, med("garbage"))
    # The limits held: every run refused messages and closed the flooder with 4029, and
    # nothing else happened to it (no other close code, no reply of another kind).
    limited = all(
        x["refused"] > 0
        and x["closes"].get("4029", 0) > 0
        and set(x["closes"]) == {"4029"}
        and not x["dropped"]
        and not x["other_replies"]
        for x in f
    )
    others = sorted({code for x in f for code in x["closes"]} - {"4029"})
    odd = f"; also closed {', '.join(others)}" if others else ""
    return [
        Row(
            f"WS flood from one client: the other {n} subscribers' delivery latency",
            f"{median([x['deliveries'] for x in rounds]):,.0f} deliveries/run",
            f"no flood {_f(calm_p50)} / {_f(calm_p99)} ms",
            _f(ratio) + " (p99)",
            _f(p50),
            _f(p99),
            f"p99 ≤ {FLOOD_FACTOR:g}× no flood and ≤ {WS_P99_MS:g} ms",
            p99 <= FLOOD_FACTOR * calm_p99 and p99 <= WS_P99_MS,
        ),
        Row(
            f"WS flooding client (Pings, 1 in {share:.0f} garbage; reconnects when closed)",
            f"per run: {med('sent'):,.0f} sent, {med('pongs') + med('invalid'):,.0f} answered, "
            f"{med('refused'):,.0f} refused RATE_LIMIT_EXCEEDED, closed 4029 {closes:,.0f}× "
            f"({med('accepted_per_connection'):,.0f} answered and "
            f"{med('refused_per_connection'):,.0f} refused per connection){odd}",
            target="refused, then closed 4029, every run",
            met=limited,
        ),
    ]


def tenant_rows(t: dict[str, Any]) -> list[Row]:
    """First touch, cold reopen, warm; RSS and FDs against the cache size."""
    cold, warm = t["cold"], t["warm"]
    samples = t["create_samples"] + t["cold_samples"]
    full = 2 * t["cache_size"]
    at_full = next((s for s in t["create_samples"] if s["requests"] >= full), samples[0])
    fds_max = max(s["fds"] for s in samples)
    rss_end = t["after"]["VmRSS"]
    rss_growth = rss_end / at_full["VmRSS"] - 1
    n = t["tenants"]
    created = t["create_samples"][-1]
    per_tenant = (created["VmRSS"] - at_full["VmRSS"]) / max(1, created["requests"] - full)
    return [
        Row(
            f"tenants: first touch of {n:,}",
            f"{_f(t['create']['seconds'], 1)} s",
            p50=_f(t["create"]["p50_ms"]),
            p99=_f(t["create"]["p99_ms"]),
        ),
        Row(
            f"tenants: cold reopen (cache {t['cache_size']})",
            f"{_f(median([c['seconds'] for c in cold]), 1)} s per {n:,}",
            p50=_f(median([c["p50_ms"] for c in cold])),
            p99=_f(median([c["p99_ms"] for c in cold])),
        ),
        Row(
            "tenants: warm",
            f"{warm[0]['requests']} requests",
            p50=_f(median([c["p50_ms"] for c in warm])),
            p99=_f(median([c["p99_ms"] for c in warm])),
        ),
        Row(
            "tenants: open FDs",
            f"max {fds_max} (at {full}: {at_full['fds']})",
            target=f"≤ level at 2× cache + {FD_SLACK}",
            met=fds_max <= at_full["fds"] + FD_SLACK,
        ),
        Row(
            "tenants: RSS",
            f"peak {t['after']['VmHWM'] / 1024:,.0f} MiB; "
            f"{at_full['VmRSS'] / 1024:,.0f} → {rss_end / 1024:,.0f} MiB "
            f"from {full} to {n:,} tenants (+{rss_growth:.0%}; "
            f"{per_tenant:.1f} kB per new tenant)",
            target=f"growth < {RSS_GROWTH:.0%}",
            met=rss_growth < RSS_GROWTH,
        ),
    ]


def workers_rows(w: dict[str, Any]) -> list[Row]:
    """Two workers against one: REST throughput ratios; event latency across workers."""
    rounds = w["rounds"]
    connections = w.get("connections", {})  # absent from results saved before 2026-12-02
    targets: dict[str, float | None] = {
        **WORKER_TARGETS,
        **{name: None for name in WORKER_FIGURES if name in rounds[0]["1"]},
    }
    rows = []
    for name, target in targets.items():
        one = [r["1"][name]["rps"] for r in rounds]
        two = [r["2"][name]["rps"] for r in rounds]
        ratio = median([b / a if a else 0.0 for a, b in zip(one, two, strict=True)])
        errors = sum(r[k][name]["errors"] for r in rounds for k in ("1", "2"))
        failed = f" ({errors:.0f} errors)" if errors else ""
        label = f"2 workers: {name}"
        if name in connections and "connections" not in name:
            label += f", {connections[name]} connections"
        rows.append(
            Row(
                label,
                f"{_f(median(two), 0)} req/s{failed}",
                f"1 worker: {_f(median(one), 0)} req/s",
                _f(ratio),
                _f(median([r["2"][name]["p50_ms"] for r in rounds])),
                _f(median([r["2"][name]["p99_ms"] for r in rounds])),
                "" if target is None else f"ratio ≥ {target:g}",
                None if target is None else ratio >= target and not errors,
            )
        )
    rate = f"{w['rate']:g} events/s"
    rows.append(
        _fanout_row(
            f"2 workers: events across workers, {w['subscribers']} subscribers, {rate}",
            w["events"]["latency"],
        )
    )
    if "instances" in w:
        rows.append(
            _fanout_row(
                f"2 instances over Redis: {w['instance_subscribers']:,} subscribers split, {rate}",
                w["instances"]["latency"],
            )
        )
    return rows


def _fanout_row(name: str, latency: list[dict[str, Any]]) -> Row:
    lost = sum(x["lost"] + x["reordered"] + x["closed"] for x in latency)
    delivered = sum(x["deliveries"] for x in latency)
    p99 = median([x["p99_ms"] for x in latency])
    return Row(
        name,
        f"{lost} lost or reordered in {delivered:,} deliveries",
        p50=_f(median([x["p50_ms"] for x in latency])),
        p99=_f(p99),
        target=f"p99 ≤ {WS_P99_MS:g} ms, none lost",
        met=p99 <= WS_P99_MS and lost == 0,
    )


def bulk_rows(b: dict[str, Any], rest: dict[str, Any] | None) -> list[Row]:
    """One bulk request of 1,000 creations against 1,000 single POSTs, one at a time."""
    n = b["items"]
    single = median([r["single_seconds"] for r in b["rounds"]])
    many = median([r["bulk_seconds"] for r in b["rounds"]])
    speedup = single / many if many else 0.0
    rows = [
        Row(
            f"bulk: {n:,} creations in one POST /bulk",
            f"{many * 1000:,.0f} ms ({n / many if many else 0:,.0f} items/s)",
            baseline=f"{n:,} single POSTs: {single * 1000:,.0f} ms",
            ratio=f"{speedup:.1f}×",
            target=f"≥ {BULK_SPEEDUP:.0f}× faster",
            met=speedup >= BULK_SPEEDUP,
        )
    ]
    if rest is not None:
        concurrent = median(
            [next(r["rps"] for r in rnd if r["name"] == "POST create") for rnd in rest["rounds"]]
        )
        rows.append(
            Row(
                "bulk: against single POSTs from 16 connections (rest section)",
                f"{n / many if many else 0:,.0f} items/s",
                baseline=f"{concurrent:,.0f} POST/s",
                ratio=f"{(n / many) / concurrent if many and concurrent else 0:.1f}×",
            )
        )
    return rows


def sync_rows(s: dict[str, Any]) -> list[Row]:
    """Exports of 10k and 100k items: time, size and the growth of the server's peak RSS."""
    exports = s["exports"]
    out, growth = [], {}
    for items, e in exports.items():
        growth[items] = (e["hwm_after_kb"] - e["hwm_before_kb"]) / 1024
        out.append(
            Row(
                f"export of {int(items):,} items (streamed)",
                f"{e['seconds']:.1f} s, {e['bytes'] / 2**20:,.0f} MiB; "
                f"peak RSS {e['hwm_before_kb'] / 1024:,.0f} → {e['hwm_after_kb'] / 1024:,.0f} MiB",
            )
        )
    small, large = sorted(growth, key=int)[0], sorted(growth, key=int)[-1]
    out.append(
        Row(
            "export: peak RSS growth, 100k vs 10k items",
            f"+{growth[large]:.1f} MiB vs +{growth[small]:.1f} MiB",
            target=f"≤ 10k's + {EXPORT_RSS_SLACK_MB:g} MiB",
            met=growth[large] <= growth[small] + EXPORT_RSS_SLACK_MB,
        )
    )
    return out


def postgres_rows(pg: dict[str, Any]) -> list[Row]:
    """GET and POST with storage on PostgreSQL, against their baselines of the same run."""
    if "skipped" in pg:
        return [Row("PostgreSQL rows", f"skipped: {pg['skipped']}")]
    rounds = pg["rounds"]

    def series(name: str, key: str) -> list[float]:
        return [next(r[key] for r in rnd if r["name"] == name) for rnd in rounds]

    out = []
    for name, target in PG_TARGETS.items():
        base = "baseline " + name.split()[0]
        pairs = zip(series(name, "rps"), series(base, "rps"), strict=True)
        ratio = median([a / b if b else 0.0 for a, b in pairs])
        errors = sum(series(name, "errors"))
        failed = f" ({errors:.0f} errors)" if errors else ""
        out.append(
            Row(
                f"{name} (PostgreSQL)",
                f"{_f(median(series(name, 'rps')), 0)} req/s{failed}",
                baseline=f"{_f(median(series(base, 'rps')), 0)} req/s",
                ratio=_f(ratio),
                p50=_f(median(series(name, "p50_ms"))),
                p99=_f(median(series(name, "p99_ms"))),
                target=f"ratio ≥ {target:.2f}",
                met=ratio >= target and not errors,
            )
        )
    fan = pg.get("fanout")
    name = "2 instances on PostgreSQL + Redis: WS fan-out"
    if fan is not None and "skipped" in fan:
        out.append(Row(name, f"skipped: {fan['skipped']}"))
    elif fan is not None:
        rate = f"{fan['rate']:g} events/s"
        out.append(
            _fanout_row(f"{name}, {fan['subscribers']:,} subscribers split, {rate}", fan["latency"])
        )
    return out


def webhook_rows(w: dict[str, Any]) -> list[Row]:
    """POST throughput with 10 subscriptions against none; commit → received latency."""
    ratio = w["ten_rps"] / w["none_rps"] if w["none_rps"] else 0.0
    lost = w["events"] - w["received"]
    return [
        Row(
            f"webhooks: POST create with {w['subscriptions']} subscriptions",
            f"{w['ten_rps']:,.0f} req/s",
            baseline=f"no subscription: {w['none_rps']:,.0f} req/s",
            ratio=f"{ratio:.2f}",
            target=f"≥ {WEBHOOK_RATIO:g}",
            met=ratio >= WEBHOOK_RATIO,
        ),
        Row(
            f"webhooks: delivery latency at {w['rate']:g} events/s",
            f"{w['received']:,} of {w['events']:,} received ({lost} missing, "
            f"{w.get('early', 0)} before their answer)",
            p50=_f(w["p50_ms"]),
            p99=_f(w["p99_ms"]),
            target=f"p99 ≤ {WEBHOOK_P99_MS:g} ms",
            met=w["p99_ms"] <= WEBHOOK_P99_MS and lost == 0,
        ),
    ]


def rows(results: dict[str, Any]) -> list[Row]:
    """Every row of the table, for the sections present."""
    out: list[Row] = []
    if "rest" in results:
        out += rest_rows(results["rest"])
    if "planning" in results:
        out += planning_rows(results["planning"])
    if "postgres" in results:
        out += postgres_rows(results["postgres"])
    if "ws" in results:
        out += ws_rows(results["ws"])
    if "tenants" in results:
        out += tenant_rows(results["tenants"])
    if "workers" in results:
        out += workers_rows(results["workers"])
    if "bulk" in results:
        out += bulk_rows(results["bulk"], results.get("rest"))
    if "sync" in results:
        out += sync_rows(results["sync"])
    if "webhooks" in results:
        out += webhook_rows(results["webhooks"])
    return out


HEADERS = ("benchmark", "result", "baseline", "ratio", "p50 ms", "p99 ms", "target", "met")


def _cells(row: Row) -> tuple[str, ...]:
    met = "" if row.met is None else ("yes" if row.met else "**no**")
    return (row.name, row.value, row.baseline, row.ratio, row.p50, row.p99, row.target, met)


def markdown(table: list[Row]) -> str:
    """The table as GitHub Markdown."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(_cells(r)) + " |" for r in table]
    return "\n".join(lines)


def print_table(table: list[Row], title: str) -> None:
    """The table on the terminal (rich when installed)."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dev dependency
        print(markdown(table))
        return
    t = Table(title=title, show_lines=False)
    for h in HEADERS:
        t.add_column(h, overflow="fold")
    for r in table:
        cells = list(_cells(r))
        cells[-1] = cells[-1].replace("**no**", "[bold red]no[/]").replace("yes", "[green]yes[/]")
        t.add_row(*cells)
    Console(width=200).print(t)


def main() -> None:
    """Print the Markdown table of a results file."""
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/latest.json")
    print(markdown(rows(json.loads(path.read_text()))))


if __name__ == "__main__":
    main()
