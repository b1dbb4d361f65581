"""Slow-header and idle clients are dropped by a deadline; prompt clients are served."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET
from tests.live import LiveServer, running

DEADLINES = {"HTTP_HEADER_TIMEOUT": "1", "HTTP_KEEP_ALIVE_TIMEOUT": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with one-second deadlines."""
    data: Path = tmp_path_factory.mktemp("deadlines") / "data"
    with running(data, SECRET, extra_env=DEADLINES) as live:
        yield live


def _connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(10)
    return sock


def _response(sock: socket.socket) -> bytes:
    """One whole HTTP response (headers + Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection (EOF) before `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def test_silent_connection_is_dropped(server: LiveServer) -> None:
    with _connect(server) as sock:
        assert _closed_within(sock, 5)


def test_slow_headers_are_dropped(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.4)
        sock.sendall(b"X-Slow: 1\r\n")  # still no end of headers
        assert _closed_within(sock, 5)


def test_idle_keep_alive_is_dropped_after_a_served_request(server: LiveServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in _response(sock)
        assert _closed_within(sock, 5)


def test_prompt_requests_on_one_connection_are_served(server: LiveServer) -> None:
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert b"200 OK" in _response(sock)
            time.sleep(0.3)
