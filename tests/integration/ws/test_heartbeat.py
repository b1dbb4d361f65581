"""Server heartbeats drop a peer that stops answering pings."""

from __future__ import annotations

import base64
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SECRET, token
from tests.live import LiveServer, running

HEARTBEAT = {"WS_PING_INTERVAL": "1", "WS_PING_TIMEOUT": "1"}


@pytest.fixture(scope="module")
def fast_heartbeat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server pinging every second."""
    data: Path = tmp_path_factory.mktemp("heartbeat") / "data"
    with running(data, SECRET, extra_env=HEARTBEAT) as live:
        yield live


def _handshake(server: LiveServer) -> socket.socket:
    """A WebSocket opened by hand: after this, nothing answers the server's pings."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token('heartbeat')}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(4096)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def test_a_peer_that_never_answers_pings_is_dropped(fast_heartbeat: LiveServer) -> None:
    sock = _handshake(fast_heartbeat)
    opcodes = []
    deadline = time.monotonic() + 15
    closed = False
    with sock:
        while time.monotonic() < deadline and not closed:
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = sock.recv(4096)
            except (TimeoutError, ConnectionResetError):
                break
            if not data:
                closed = True
            else:
                opcodes.append(data[0] & 0x0F)
    assert 0x9 in opcodes  # the server pinged...
    assert closed or 0x8 in opcodes  # ...and, unanswered, closed the connection
