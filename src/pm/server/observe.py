"""Wiring the metrics to what they count: samplers for gauges, a counting publisher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Sequence

from pm.db.repos.events import StoredEvent
from pm.events.hub import Hub
from pm.metrics import Metrics
from pm.service.uow import Publisher

log = logging.getLogger(__name__)
SAMPLE_EVERY = 1.0  # seconds, with several processes (each keeps its own gauges current)


def build_metrics(hub: Hub) -> Metrics:
    """This process's metrics (multiprocess when PROMETHEUS_MULTIPROC_DIR is set)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
    if directory is not None and not os.path.isdir(directory):
        raise ValueError(f"PROMETHEUS_MULTIPROC_DIR={directory!r} is not a directory")
    metrics = Metrics(directory)
    metrics.gauge_from(metrics.ws_subscriptions, hub.subscription_count)
    metrics.counter_from(metrics.events_delivered, lambda: hub.deliveries)
    return metrics


def counting(publish: Publisher, metrics: Metrics) -> Publisher:
    """The publisher, counting the committed events it is handed."""
    published = metrics.events_published

    def publish_counted(tenant_id: str, events: Sequence[StoredEvent]) -> None:
        published.inc(len(events))
        publish(tenant_id, events)

    return publish_counted


@contextlib.asynccontextmanager
async def sampling(metrics: Metrics | None) -> AsyncIterator[None]:
    """With several processes, keep this one's gauges current for whichever answers a scrape."""
    if metrics is None or metrics.multiprocess_dir is None:
        yield  # one process: the scrape itself samples
        return

    async def loop() -> None:
        while True:
            try:
                metrics.refresh()
            except Exception:
                log.exception("sampling the metrics failed")
            await asyncio.sleep(SAMPLE_EVERY)

    task = asyncio.get_running_loop().create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
