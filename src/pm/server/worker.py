"""One worker process of `pm-server serve --workers N` (forked by pm.server.supervisor).

It serves the supervisor's listening socket, writes a byte to its ready pipe once it
serves, and stops gracefully on SIGTERM — or by itself if the supervisor disappears
(killed with -9), so that no orphan keeps serving the port.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

from pm.server.serving import ReadyServer, uvicorn_config
from pm.server.settings import Settings

PARENT_CHECK_INTERVAL = 1.0  # seconds between checks that the supervisor is still there


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_INTERVAL)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def run(settings: Settings, sock: socket.socket, ready_fd: int, parent: int) -> None:
    """Serve `sock` until SIGTERM (in the forked child)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)  # the supervisor's handlers are not ours
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    ReadyServer(uvicorn_config(settings), ready_fd).run(sockets=[sock])
