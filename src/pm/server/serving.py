"""Running the app under uvicorn: one process, or one worker of several (`pm.server.worker`)."""

from __future__ import annotations

import os
import socket

import uvicorn

from pm.server.app import create_app
from pm.server.protocols import with_header_timeout
from pm.server.settings import Settings

GRACEFUL_SHUTDOWN = 10  # seconds open requests and WebSockets get to finish on SIGTERM


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration for the app built from `settings`."""
    return uvicorn.Config(
        create_app(settings),
        host=settings.server_host,
        port=settings.server_port,
        log_config=None,
        access_log=False,
        ws_max_size=settings.ws_max_frame_bytes,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        timeout_keep_alive=settings.http_keep_alive_timeout,
        http=with_header_timeout(settings.http_header_timeout),
    )


class ReadyServer(uvicorn.Server):
    """uvicorn's server that writes one byte to `ready_fd` once it serves (for a supervisor)."""

    def __init__(self, config: uvicorn.Config, ready_fd: int | None = None) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start, then tell the supervisor."""
        await super().startup(sockets)
        if self.started and self.ready_fd is not None:
            os.write(self.ready_fd, b"1")
            os.close(self.ready_fd)
            self.ready_fd = None
