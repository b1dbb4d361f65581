"""Browser tests: Playwright driving Debian's Chromium against a real `pm-server` process.

Every test here is marked `browser` and runs in one xdist group (one server, one browser).
A failing test leaves a screenshot of each of its pages under `test-results/<test>/`
(pytest-playwright's `--screenshot=only-on-failure`, set in pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserType, Playwright, expect, sync_playwright

from tests.conftest import SECRET, token
from tests.live import LiveServer, running

CHROMIUM = Path("/usr/bin/chromium")
# Waits, not timings: the 2-core VM is shared, and a page may take seconds to settle under
# load. Promises with a deadline of their own (live changes within 2 s) say so where made.
expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


# pytest-playwright keeps Playwright (and its event loop, running in the main thread) for the
# whole session; the asyncio tests that follow on the same xdist worker then cannot run their
# own loop. These overrides start and stop it per module instead.
@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Playwright]:
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_context_args() -> dict[str, Any]:
    return {}  # the plugin's (device, base URL, video) asks for the session's Playwright


@pytest.fixture(scope="module")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    return lambda **kwargs: browser_type.launch(**{**browser_type_launch_args, **kwargs})


@pytest.fixture(scope="module")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    launched = launch_browser()
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (Playwright's own browser download is not reachable here)."""
    if not CHROMIUM.exists():
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium; .ci/run does)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@dataclass
class Api:
    """REST calls as one user, for setting up what a test looks at."""

    http: httpx.Client

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(f"/api/v1{path}", json=body)
        assert response.status_code in (200, 201), response.text
        return dict(response.json())

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.patch(f"/api/v1{path}", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.put(f"/api/v1{path}", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running(tmp_path_factory.mktemp("board") / "data", SECRET) as live:
        yield live


@pytest.fixture
def rest() -> Iterator[Callable[[LiveServer, str], Api]]:
    """`rest(server, user)`: REST calls as that user; the connections close after the test."""
    clients: list[httpx.Client] = []

    def as_user(server: LiveServer, user: str) -> Api:
        headers = {"Authorization": f"Bearer {token('acme', user)}"}
        clients.append(httpx.Client(base_url=server.url, headers=headers, timeout=30))
        return Api(clients[-1])

    yield as_user
    for client in clients:
        client.close()


def sign_in_url(server: LiveServer, user: str, path: str = "", tenant: str = "acme") -> str:
    """The sign-in link `make run` prints, for this user; `path` is the route after it."""
    return f"{server.url}/{path}#token={token(tenant, user)}"
