"""A real pm-server process per test module for the WebSocket tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET
from tests.live import LiveServer, running

EXTRA_ENV = {"WS_RATE_PER_SECOND": "200", "WS_RATE_BURST": "400"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module's tests (tests use distinct tenants or projects)."""
    data: Path = tmp_path_factory.mktemp("ws") / "data"
    with running(data, SECRET, extra_env=EXTRA_ENV) as live:
        yield live


@pytest.fixture
def ws_url(server: LiveServer) -> str:
    """The server's /ws URL."""
    return f"ws://127.0.0.1:{server.port}/ws"
