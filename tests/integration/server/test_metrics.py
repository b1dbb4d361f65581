"""GET /metrics: what it counts, who may read it, and the sum over several processes."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from pm.metrics import Metrics
from pm.server.app import create_app
from pm.server.settings import Settings, SettingsError, load_settings
from pm.server.version import version
from tests.conftest import SECRET, bearer, token
from tests.helpers import create_item, create_project
from tests.live import SERVER, running, serving
from tests.wsclient import WsClient, subscribe

METRICS_TOKEN = "a-scrape-token-of-some-length"


def value(text: str, name: str, **labels: str) -> float:
    """The value of the sample `name` with these labels in Prometheus text (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


async def test_requests_are_counted_by_route_template_method_and_status(
    client: httpx.AsyncClient,
) -> None:
    owner = bearer("acme", "alice")
    project = await create_project(client, owner)
    item = await create_item(client, owner, project["id"])
    for _ in range(3):
        assert (
            await client.get(f"/api/v1/work-items/{item['id']}", headers=owner)
        ).status_code == 200
    assert (await client.get("/api/v1/work-items/NOPE-1", headers=owner)).status_code == 404
    assert (await client.get("/no/such/page")).status_code == 404
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=")
    text = scraped.text
    route = "/api/v1/work-items/{id_or_key}"
    count = "pm_http_request_duration_seconds_count"
    assert value(text, count, route=route, method="GET", status="200") == 3
    assert value(text, count, route=route, method="GET", status="404") == 1
    assert value(text, count, route="unmatched", method="GET", status="404") == 1
    assert value(text, count, route="/api/v1/projects", method="POST", status="201") == 1
    assert (
        value(
            text,
            "pm_http_request_duration_seconds_bucket",
            route=route,
            method="GET",
            status="200",
            le="+Inf",
        )
        == 3
    )
    assert value(text, "pm_events_published_total") == 2  # project and item created
    assert value(text, "pm_open_tenants") == 1
    assert value(text, "pm_commit_batch_units_count") >= 1
    again = (await client.get("/metrics")).text
    assert value(again, count, route="/metrics", method="GET", status="200") == 1


def test_tallied_requests_read_as_observed_ones() -> None:
    """The request path tallies; read, the tallies equal Histogram.observe of each value."""
    metrics = Metrics()
    reference = Histogram("ref", "ref", ["route", "method", "status"], registry=CollectorRegistry())
    for seconds in (0.0001, 0.005, 0.0051, 0.3, 2.0, 11.0, 0.0001):
        metrics.request("/r", "GET", 200, seconds)
        reference.labels("/r", "GET", "200").observe(seconds)
    ours = {
        (s.name.removeprefix("pm_http_request_duration_seconds"), s.labels.get("le")): s.value
        for s in metrics.http.collect()[0].samples
        if not s.name.endswith("_created")
    }
    assert ours == {}  # nothing is read before a scrape
    metrics.render()
    ours = {
        (s.name.removeprefix("pm_http_request_duration_seconds"), s.labels.get("le")): s.value
        for s in metrics.http.collect()[0].samples
        if not s.name.endswith("_created")
    }
    theirs = {
        (s.name.removeprefix("ref"), s.labels.get("le")): s.value
        for s in reference.collect()[0].samples
        if not s.name.endswith("_created")
    }
    assert ours == theirs
    assert ours[("_count", None)] == 7
    metrics.render()  # reading again adds nothing twice
    assert metrics.http.labels("/r", "GET", "200")._sum.get() == pytest.approx(13.3103)


async def test_rate_limit_refusals_are_counted(settings: Settings) -> None:
    tight = settings.model_copy(
        update={"rate_limit_user_per_second": 1, "rate_limit_user_burst": 1}
    )
    app = create_app(tight)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answers = [
                (await http.get("/api/v1/projects", headers=bearer())).status_code for _ in range(3)
            ]
            text = (await http.get("/metrics")).text
    assert answers == [200, 429, 429]
    assert value(text, "pm_rate_limited_total", limit="rest") == 2


async def _scrape(app: FastAPI, client: tuple[str, int], **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.get("/metrics", headers=headers)


async def test_without_a_token_only_loopback_clients_may_scrape(app: FastAPI) -> None:
    assert (await _scrape(app, ("127.0.0.1", 4000))).status_code == 200
    assert (await _scrape(app, ("::1", 4000))).status_code == 200
    remote = await _scrape(app, ("203.0.113.7", 4000))
    assert remote.status_code == 403
    assert "METRICS_TOKEN" in remote.json()["detail"]


async def test_with_a_token_every_client_must_send_it(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(METRICS_TOKEN)}))
    remote = ("203.0.113.7", 4000)
    good = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert (await _scrape(app, remote, **good)).status_code == 200
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        refused = await _scrape(app, remote, **headers)
        assert refused.status_code == 401, headers
        assert refused.json()["code"] == "AUTHENTICATION_FAILED"
        assert refused.headers["www-authenticate"] == "Bearer"
    assert (await _scrape(app, ("127.0.0.1", 4000))).status_code == 401  # a local proxy too


def test_a_short_metrics_token_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "short")
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        load_settings()


def test_a_missing_multiprocess_directory_names_the_variable(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "absent"))
    with pytest.raises(ValueError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(settings)


async def test_ready_reports_the_version_and_the_database_latency(
    client: httpx.AsyncClient,
) -> None:
    ready = (await client.get("/ready")).json()
    assert ready["status"] == "ok"
    assert ready["version"] == version()
    assert 0 <= ready["database_latency_ms"] < 10_000


def test_the_command_prints_its_version() -> None:
    done = subprocess.run([str(SERVER), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"pm-server {version()}"


@pytest.fixture
async def served(app: FastAPI) -> AsyncIterator[str]:
    """The app over a real uvicorn in this process (WebSockets need one)."""
    async with serving(app, lifespan="off") as port:  # the `app` fixture runs the lifespan
        yield f"127.0.0.1:{port}"


async def test_websocket_connections_subscriptions_and_deliveries(served: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{served}", timeout=10) as http:
        owner = bearer("acme", "alice")
        project = await create_project(http, owner)
        client = await WsClient.open(f"ws://{served}/ws", token("acme", "alice"))
        await client.request("subscribe", subscribe([project["id"]]))
        await create_item(http, owner, project["id"])
        await client.event("work_item_created")
        text = (await http.get("/metrics")).text
        assert value(text, "pm_ws_connections") == 1
        assert value(text, "pm_ws_subscriptions") == 1
        assert value(text, "pm_events_delivered_total") == 1
        await client.close()
        await asyncio.sleep(0.2)
        assert value((await http.get("/metrics")).text, "pm_ws_connections") == 0


@pytest.mark.slow
def test_several_processes_add_up(data_dir: Path, tmp_path: Path) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(shared)}
    owner = bearer("acme", "alice")
    with (
        running(data_dir, SECRET, extra_env=env) as first,
        running(data_dir, SECRET, extra_env=env) as second,
    ):
        for server, count in ((first, 2), (second, 3)):
            for _ in range(count):
                got = httpx.get(f"{server.url}/api/v1/projects", headers=owner, timeout=10)
                assert got.status_code == 200
        # Each process adds its tallies and gauges to the shared files every second.
        deadline = time.monotonic() + 10
        for server in (first, second):
            while True:
                text = httpx.get(f"{server.url}/metrics", timeout=10).text
                count = value(
                    text,
                    "pm_http_request_duration_seconds_count",
                    route="/api/v1/projects",
                    method="GET",
                    status="200",
                )
                if count == 5 and value(text, "pm_open_tenants") == 2:  # acme, in each
                    break
                assert count <= 5, text
                assert time.monotonic() < deadline, f"the figures never added up:\n{text}"
                time.sleep(0.2)
