"""BROADCAST_URL: two instances on one database, events over Redis, across a Redis restart.

Each test starts its own redis-server on a free port (so nobody else's Redis is touched),
and two `pm-server` processes stand for two machines sharing a database: one DB_PATH on
SQLite, and (the `backend` fixture, tests/conftest.py) the test's own PostgreSQL database,
whose tenant schemas are dropped after the test. With nginx installed, the same two
instances also run behind compose's proxy config (deploy/nginx.conf, its upstream pointed at
their ports), as a user's clients would reach them.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import SECRET, token
from tests.live import LiveServer, free_port, running
from tests.tenantdb import TenantDb
from tests.wsclient import WsClient, subscribe

REDIS = shutil.which("redis-server")
NGINX = shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/usr/bin:/usr/local/bin")
PROXY_CONF = Path(__file__).resolve().parents[3] / "deploy" / "nginx.conf"
pytestmark = [
    pytest.mark.skipif(REDIS is None, reason="redis-server is not installed"),
    pytest.mark.xdist_group("workers"),
]
TENANT = "bcast"


class RedisServer:
    """A throw-away redis-server on its own port (no persistence)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS is not None
        argv = [REDIS, "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*argv, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while self.cli("PING") != "PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    def subscribers(self, channel: str) -> int:
        lines = self.cli("PUBSUB", "NUMSUB", channel).splitlines()
        return int(lines[1]) if len(lines) == 2 else 0


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


def _rest(server: LiveServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token(TENANT)}"}
    return httpx.Client(base_url=f"{server.url}/api/v1", headers=headers, timeout=10)


def _write(http: httpx.Client, project: str, count: int, tag: str) -> None:
    for n in range(count):
        created = http.post(
            f"/projects/{project}/work-items", json={"item_type": "task", "title": f"{tag}{n}"}
        )
        assert created.status_code == 201, created.text


def _until(check: object, wait: float = 15) -> None:
    deadline = time.monotonic() + wait
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


async def test_events_written_on_one_instance_reach_the_other_across_a_redis_restart(
    data_dir: Path, redis_server: RedisServer, db: TenantDb
) -> None:
    env = {"BROADCAST_URL": f"redis://127.0.0.1:{redis_server.port}/0"}
    if db.database_url is not None:
        env["DATABASE_URL"] = db.database_url
    data = data_dir
    channel = f"pm:events:{TENANT}"
    with (
        running(data, SECRET, extra_env=env) as there,
        running(data, SECRET, extra_env=env) as here,
        _rest(there) as http,
    ):
        created = http.post("/projects", json={"key": "BCAST", "title": "Broadcast"})
        assert created.status_code == 201, created.text
        project = created.json()["id"]
        remote = await WsClient.open(f"ws://127.0.0.1:{here.port}/ws", token(TENANT))
        local = await WsClient.open(f"ws://127.0.0.1:{there.port}/ws", token(TENANT))
        base = (await remote.request("subscribe", subscribe([project]))).subscription_confirmed
        await local.request("subscribe", subscribe([project]))
        await asyncio.to_thread(_until, lambda: redis_server.subscribers(channel) == 2)

        await asyncio.to_thread(_write, http, project, 10, "before")
        redis_server.stop()
        await asyncio.to_thread(_write, http, project, 10, "during")  # writes still succeed
        during = await local.events(20)  # and the writer's own subscribers get them at once
        redis_server.start()
        # Both instances resubscribe on their own.
        await asyncio.to_thread(_until, lambda: redis_server.subscribers(channel) == 2)
        await asyncio.to_thread(_write, http, project, 10, "after")

        stream = http.get(
            "/events", params={"since_seq": base.current_seq, "project_id": project}
        ).json()
        expected = [e["seq"] for e in stream["events"]]
        assert len(expected) == 30
        assert [e.seq for e in during] == expected[:20]
        assert [e.seq for e in await local.events(10)] == expected[20:]
        assert [e.seq for e in await remote.events(30, wait=15)] == expected
        assert await remote.silent(0.3)
        # Written where the test's engine keeps the tenant (its schema, on PostgreSQL).
        assert db.rows("SELECT max(seq) FROM pm_events", tenant=TENANT) == [(expected[-1],)]
        await remote.close()
        await local.close()


@contextmanager
def proxy(tmp: Path, ports: list[int]) -> Iterator[int]:
    """nginx with compose's deploy/nginx.conf, its upstream pointed at `ports`; its port."""
    assert NGINX is not None
    text = PROXY_CONF.read_text()
    upstream = re.compile(r"^(\s*server\s+)pm\d+:3000\b", re.MULTILINE)
    assert len(upstream.findall(text)) == len(ports)
    for port in ports:
        text = upstream.sub(rf"\g<1>127.0.0.1:{port}", text, count=1)
    listen = free_port()
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (tmp / "pm.conf").write_text(text)
    temps = " ".join(f"{k}_temp_path {tmp}/{k};" for k in ("client_body", "proxy"))
    (tmp / "nginx.conf").write_text(
        f"daemon off;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\n"
        f"http {{ access_log off; {temps} include {tmp}/pm.conf; }}\n"
    )
    process = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")])
    try:
        _until(lambda: _answers(listen) or process.poll() is not None, wait=10)
        assert process.poll() is None, (tmp / "error.log").read_text()
        yield listen
    finally:
        process.terminate()
        process.wait(10)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/live", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _posts_answered(server: LiveServer) -> float:
    """Work items this instance created, from its /metrics (read over loopback)."""
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("pm_http_request_duration_seconds_count{")
        and all(f'{k}="{v}"' in line for k, v in (("method", "POST"), ("status", "201")))
        and '/work-items"' in line
    )


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed")
async def test_behind_the_compose_proxy_requests_and_websockets_spread_over_both_instances(
    data_dir: Path, tmp_path: Path, redis_server: RedisServer, db: TenantDb
) -> None:
    env = {"BROADCAST_URL": f"redis://127.0.0.1:{redis_server.port}/0"}
    if db.database_url is not None:
        env["DATABASE_URL"] = db.database_url
    conf = tmp_path / "nginx"
    conf.mkdir()
    with (
        running(data_dir, SECRET, extra_env=env) as one,
        running(data_dir, SECRET, extra_env=env) as two,
        proxy(conf, [one.port, two.port]) as port,
    ):
        front = LiveServer(f"http://127.0.0.1:{port}", port, one.process, {}, one.log_path)
        with _rest(front) as http:
            created = http.post("/projects", json={"key": "PROXY", "title": "Behind nginx"})
            assert created.status_code == 201, created.text
            project = created.json()["id"]
            # Through the proxy (the WebSocket upgrade passed on), round-robin over both.
            clients = [
                await WsClient.open(f"ws://127.0.0.1:{port}/ws", token(TENANT)) for _ in range(4)
            ]
            base = None
            for client in clients:
                confirmed = await client.request("subscribe", subscribe([project]))
                base = base or confirmed.subscription_confirmed.current_seq
            channel = f"pm:events:{TENANT}"
            await asyncio.to_thread(_until, lambda: redis_server.subscribers(channel) == 2)

            await asyncio.to_thread(_write, http, project, 20, "proxied")
            stream = http.get("/events", params={"since_seq": base, "project_id": project})
            expected = [e["seq"] for e in stream.json()["events"]]
        assert len(expected) == 20
        for client in clients:
            assert [e.seq for e in await client.events(20, wait=15)] == expected
            assert await client.silent(0.3)
            await client.close()
        # No stickiness: each instance created some of the items.
        assert _posts_answered(one) > 0
        assert _posts_answered(two) > 0
        assert _posts_answered(one) + _posts_answered(two) == 20
