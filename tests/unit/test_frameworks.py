"""pm refuses FastAPI/Starlette versions outside the bounds its package declares."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata

import pytest

from pm.server import frameworks
from pm.server.app import create_app
from pm.server.frameworks import UnsupportedFramework, check_frameworks, supported
from pm.server.settings import Settings


@pytest.fixture(autouse=True)
def fresh_verdict() -> Iterator[None]:
    """The verdict is cached per process; these tests change what it is read from."""
    frameworks.problems.cache_clear()
    yield
    frameworks.problems.cache_clear()


def test_the_installed_frameworks_are_the_supported_ones() -> None:
    bounds = supported()
    assert "fastapi" in bounds
    for name, requirement in bounds.items():
        assert requirement.specifier.contains(metadata.version(name))
    check_frameworks()


def test_another_fastapi_in_the_host_environment_stops_create_app(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    real = metadata.version

    def version(name: str) -> str:
        return "0.99.1" if name == "fastapi" else real(name)

    monkeypatch.setattr(frameworks.metadata, "version", version)
    with pytest.raises(UnsupportedFramework) as refused:
        create_app(settings)
    message = str(refused.value)
    assert f"fastapi 0.99.1 is installed, pm supports {supported()['fastapi']}" in message
    assert "starlette" not in message.split(". Install")[0]
    assert f"pip install '{supported()['fastapi']}'" in message


def test_a_missing_framework_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real = metadata.version

    def version(name: str) -> str:
        if name == "fastapi":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(frameworks.metadata, "version", version)
    with pytest.raises(UnsupportedFramework, match="fastapi none"):
        check_frameworks()
