"""A real pm-server process per test module for the WebSocket tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET, drop_tenant_schemas
from tests.live import LiveServer, running

EXTRA_ENV = {"WS_RATE_PER_SECOND": "200", "WS_RATE_BURST": "400"}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, backend: str, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """One server for the module's tests (tests use distinct tenants or projects), on the
    backend's storage engine."""
    data: Path = tmp_path_factory.mktemp("ws") / "data"
    env = dict(EXTRA_ENV)
    url: str | None = request.getfixturevalue("pg_url") if backend == "postgres" else None
    if url is not None:
        env["DATABASE_URL"] = url
    try:
        with running(data, SECRET, extra_env=env) as live:
            yield live
    finally:
        if url is not None:
            drop_tenant_schemas(url)


@pytest.fixture
def ws_url(server: LiveServer) -> str:
    """The server's /ws URL."""
    return f"ws://127.0.0.1:{server.port}/ws"
