"""Which worker process of a `pm-server --workers N` holds a given client connection (Linux)."""

from __future__ import annotations

import http.client
import json
import os
import time
from pathlib import Path
from typing import Any


def children(pid: int) -> set[int]:
    """The live child processes of `pid` (its workers, for a supervisor)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def _server_side_inodes(server_port: int, client_port: int) -> set[str]:
    """Socket inodes of the server's end of the connection from `client_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == server_port and (
                int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                inodes.add(inode)
    return inodes


def owner(workers: set[int], server_port: int, client_port: int, wait: float = 5.0) -> int:
    """The worker whose file table holds the server end of the connection from `client_port`."""
    deadline = time.monotonic() + wait
    while True:
        wanted = {f"socket:[{i}]" for i in _server_side_inodes(server_port, client_port)}
        for pid in workers:
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                        return pid
                except OSError:
                    continue
        if time.monotonic() > deadline:
            raise AssertionError(f"no worker of {workers} holds the connection from {client_port}")
        time.sleep(0.02)


class PinnedHttp:
    """A keep-alive HTTP connection to the server that one chosen worker accepted."""

    def __init__(self, port: int, workers: set[int], worker: int, token: str) -> None:
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for _ in range(200):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/health")
            conn.getresponse().read()
            if conn.sock is not None and owner(workers, port, conn.sock.getsockname()[1]) == worker:
                self.conn = conn
                return
            conn.close()
        raise AssertionError(f"worker {worker} accepted none of 200 connections")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request; the status and the decoded JSON body."""
        payload = None if body is None else json.dumps(body)
        self.conn.request(method, "/api/v1" + path, payload, self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
