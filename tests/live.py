"""Running a real `pm-server` process on a free port, for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

SERVER = Path(sys.executable).parent / "pm-server"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A started server: its base URL, process and the environment it got."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log_path: Path

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")


def start(
    data_dir: Path, secret: str, port: int | None = None, extra_env: dict[str, str] | None = None
) -> LiveServer:
    """Start `pm-server` and wait until /health answers (or fail with its log)."""
    port = port or free_port()
    env = {
        **os.environ,
        "DB_PATH": str(data_dir),
        "JWT_SECRET": secret,
        "SERVER_PORT": str(port),
        "SERVER_HOST": "127.0.0.1",
        "LOG_LEVEL": "warning",
        # Tests hammer one user; the limits have tests of their own.
        "RATE_LIMIT_USER_PER_SECOND": "0",
        "RATE_LIMIT_TENANT_PER_SECOND": "0",
        **(extra_env or {}),
    }
    log_path = data_dir.parent / f"server-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen([str(SERVER)], env=env, stdout=log, stderr=log)
    server = LiveServer(f"http://127.0.0.1:{port}", port, process, env, log_path)
    deadline = time.monotonic() + 60  # generous: a loaded machine starts slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pm-server exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=0.5).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"pm-server did not start:\n{server.log()}")


def stop(server: LiveServer, timeout: float = 10) -> int:
    """SIGTERM the server and wait for it; returns its exit code."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    return server.process.returncode


@contextmanager
def running(data_dir: Path, secret: str, **kwargs: object) -> Iterator[LiveServer]:
    """A server for the duration of a `with` block."""
    server = start(data_dir, secret, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        stop(server)


@asynccontextmanager
async def serving(app: ASGIApp, lifespan: str = "on") -> AsyncIterator[int]:
    """`app` over a real uvicorn in this process and event loop, on a free port (yielded)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan=lifespan)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(3000):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    assert server.started, "the in-process server did not start"
    try:
        yield port
    finally:
        server.should_exit = True
        await task
