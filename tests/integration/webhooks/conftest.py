"""An app whose webhooks may reach a local receiver and retry after 1, 1 and 2 seconds (the
app and client fixtures are the shared ones, over these settings)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pm.server.settings import Settings
from tests.integration.webhooks.receiver import Receiver, receiving


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings, with fast retries and private targets allowed (the receiver
    is on loopback)."""
    return settings.model_copy(
        update={
            "webhook_allow_private_targets": True,
            "webhook_retry_schedule": (1, 1, 2),
            "webhook_poll_interval": 0.2,
            "webhook_timeout": 2,
        }
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local receiver answering 200 unless scripted otherwise."""
    with receiving() as r:
        yield r
