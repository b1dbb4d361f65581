"""An app whose webhooks may reach a local receiver and retry after 1, 1 and 2 seconds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from pm.server.app import create_app
from pm.server.settings import Settings
from tests.conftest import SECRET
from tests.integration.webhooks.receiver import Receiver, receiving


@pytest.fixture
def settings(data_dir: Path, database_url: str | None) -> Settings:
    """Fast retries and private targets allowed (the receiver is on loopback)."""
    return Settings(
        db_path=data_dir,
        database_url=database_url,
        jwt_secret=SECRET,
        log_level="warning",
        rate_limit_user_per_second=0,
        rate_limit_tenant_per_second=0,
        webhook_allow_private_targets=True,
        webhook_retry_schedule=(1, 1, 2),
        webhook_poll_interval=0.2,
        webhook_timeout=2,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app with its lifespan (and so its dispatcher) running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local receiver answering 200 unless scripted otherwise."""
    with receiving() as r:
        yield r
