"""kill -9 of the server while a delivery is in flight: it is made again after the restart."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, bearer
from tests.integration.webhooks.receiver import receiving
from tests.live import start, stop

ENV = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_RETRY_SCHEDULE": "1,1,2",
    "WEBHOOK_TIMEOUT": "2",
    "WEBHOOK_POLL_INTERVAL": "0.2",
}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_delivery_cut_by_kill_9_is_made_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start(data, SECRET, extra_env=ENV)
    auth = bearer("acme", "alice")
    with receiving() as receiver:
        receiver.delay = 10  # the first answer never comes in time: the server dies waiting
        try:
            api = f"{server.url}/api/v1"
            project = httpx.post(
                f"{api}/projects", json={"key": "KILL", "title": "Kill"}, headers=auth
            )
            project_id = project.json()["id"]
            hook = httpx.post(
                f"{api}/webhooks",
                json={"url": receiver.url, "event_types": ["*"], "project_id": project_id},
                headers=auth,
            ).json()
            httpx.post(
                f"{api}/projects/{project_id}/work-items",
                json={"item_type": "task", "title": "in flight"},
                headers=auth,
            ).raise_for_status()
            receiver.wait_for(1)
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait()
            receiver.delay = 0
            server = start(data, SECRET, port=server.port, extra_env=ENV)
            got = receiver.wait_for(2, timeout=60)
        finally:
            stop(server)
    assert got[1].headers["webhook-id"] == got[0].headers["webhook-id"]
    assert receiver.verified(hook["secret"], 1)["data"]["title"] == "in flight"
