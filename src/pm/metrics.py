"""What the server counts for `GET /metrics` (Prometheus text format, prometheus-client).

One `Metrics` per app, with its own registry (tests build many apps in one process). With
`PROMETHEUS_MULTIPROC_DIR` set (several worker processes), prometheus-client keeps every
value in a file of that directory and a scrape adds up all processes' files, so the figures
are the whole server's whichever worker answers.

The request path only tallies: one dict lookup, a `bisect` for the latency bucket and two
additions into a plain list per (route template, method, status). The tallies are added to
prometheus-client's histogram when it is read: at each scrape and, with several processes,
every second — as are gauges and the counters lower layers keep as plain integers (the
hub's deliveries). `Histogram.observe` costs about three times as many Python operations
(its lock, its checks, its bucket loop) and sits after every response.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

UNMATCHED = "unmatched"  # the route label of requests no route matched (bounded cardinality)
LATENCY_BUCKETS = Histogram.DEFAULT_BUCKETS  # seconds, ending with +Inf
_FINITE = tuple(b for b in LATENCY_BUCKETS if b != float("inf"))
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The server's metrics; cheap to update, rendered on demand."""

    def __init__(self, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = r = CollectorRegistry()
        self.http = Histogram(
            "pm_http_request_duration_seconds",
            "HTTP requests by route template, method and status: count and latency.",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ws_connections = Gauge(
            "pm_ws_connections",
            "Open WebSocket connections.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.ws_subscriptions = Gauge(
            "pm_ws_subscriptions",
            "Subscriptions (projects, sprints, work items) of the open WebSocket connections.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.open_tenants = Gauge(
            "pm_open_tenants",
            "Tenant databases open right now.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.events_published = Counter(
            "pm_events_published", "Committed events handed to subscribers.", registry=r
        )
        self.events_delivered = Counter(
            "pm_events_delivered", "Event frames queued to WebSocket connections.", registry=r
        )
        self.slow_consumers = Counter(
            "pm_ws_slow_consumers_dropped",
            "WebSocket connections closed because they did not read their events.",
            registry=r,
        )
        self.commit_batch = Histogram(
            "pm_commit_batch_units",
            "Units of work made durable by one commit (group commit).",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.rate_limited = Counter(
            "pm_rate_limited", "Requests refused by a rate limit.", ["limit"], registry=r
        )
        # (route, method, status) -> [sum of seconds, count per bucket..., count over the last]
        self._tallies: dict[tuple[str, str, int], list[float]] = {}
        self._samplers: list[Callable[[], None]] = []
        self._counted: dict[Counter, int] = {}

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one HTTP request (on the request path: keep it cheap)."""
        key = (route, method, status)
        tally = self._tallies.get(key)
        if tally is None:
            tally = self._tallies[key] = [0.0] * (len(_FINITE) + 2)
        tally[0] += seconds
        tally[bisect_left(_FINITE, seconds) + 1] += 1

    def sample(self, read: Callable[[], None]) -> None:
        """Add a sampler: it sets gauges (or syncs counters) from their source."""
        self._samplers.append(read)

    def gauge_from(self, gauge: Gauge, read: Callable[[], int]) -> None:
        """Keep `gauge` at what `read` returns."""
        self.sample(lambda: gauge.set(read()))

    def counter_from(self, counter: Counter, read: Callable[[], int]) -> None:
        """Keep `counter` at a running total that a lower layer keeps as a plain integer."""

        def sync() -> None:
            total = read()
            counter.inc(total - self._counted.get(counter, 0))
            self._counted[counter] = total

        self.sample(sync)

    def refresh(self) -> None:
        """Add the request tallies to the histogram; run every sampler."""
        for (route, method, status), tally in self._tallies.items():
            if any(tally):
                child = self.http.labels(route, method, str(status))
                # What Histogram.observe does per observation, once per bucket and scrape.
                child._sum.inc(tally[0])
                for bucket, count in zip(child._buckets, tally[1:], strict=True):
                    if count:
                        bucket.inc(count)
                tally[:] = [0.0] * len(tally)
        for read in self._samplers:
            read()

    def render(self) -> bytes:
        """The exposition text: this process's figures, or every process's with several."""
        self.refresh()
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(merged)
