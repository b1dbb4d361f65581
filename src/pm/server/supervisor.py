"""`WORKERS=N`: N worker processes serve one port; the supervisor replaces any that dies.

The supervisor checks the settings and builds the app once (so a bad setting stops it
before any worker starts), reserves the port, then forks each worker (pm.server.worker),
which listens on the port with a socket of its own (SO_REUSEPORT), with a pipe on which the
worker says when it serves. Forking from a process that has already imported the server
makes a replacement serve in well under a second, however loaded the machine. The kernel
spreads new connections over the workers' sockets evenly (a hash of each connection's
addresses; the connections waiting in a worker's queue when it dies are reset, and their
clients reconnect to the others); the workers share the tenant databases and learn of
each other's commits from the tenants' event streams (pm.events.follower).

- A worker that dies (a crash, kill -9) is replaced at once; one that keeps dying before
  it serves is retried with a growing pause (at most MAX_BACKOFF). If none has ever
  served, the supervisor stops instead (exit 2): the workers cannot start.
- SIGTERM or SIGINT: every worker is asked to stop (SIGTERM: uvicorn's graceful shutdown)
  and killed if still running GRACEFUL_SHUTDOWN + STOP_MARGIN seconds later.
- Prometheus: the workers get a fresh, empty PROMETHEUS_MULTIPROC_DIR (inside the one
  configured, if any), so that /metrics adds up every worker's figures; the supervisor
  marks a dead worker's files dead (`multiprocess.mark_process_dead`) and removes the
  directory when it stops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from pm.server.settings import Settings

log = logging.getLogger("pm.server.supervisor")

METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
STOP_MARGIN = 5.0  # seconds past the graceful shutdown before a worker is killed
MAX_BACKOFF = 5.0  # longest pause before restarting a worker that keeps failing to start
TICK = 0.2  # seconds between checks of the workers


def _socket(host: str) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def bind(host: str, port: int) -> socket.socket:
    """The port, reserved before any worker starts (so that a port in use stops the
    supervisor with a clear error): bound with SO_REUSEPORT but not listening, so it is
    handed no connection. Each worker listens on a socket of its own on the same address
    (`listener`), and the kernel spreads new connections over the workers' sockets evenly,
    by a hash of each connection's addresses. (With one shared listening socket, whichever
    worker woke first took each connection: 16 connections opened at once could all land
    on one worker, and two workers served like one.)"""
    sock = _socket(host)
    sock.bind((host, port))
    return sock


def listener(address: tuple[str, int]) -> socket.socket:
    """A worker's own listening socket on the supervisor's address."""
    sock = _socket(address[0])
    sock.bind(address)
    sock.listen(2048)
    return sock


@dataclass
class Worker:
    """One started worker process."""

    slot: int
    pid: int
    ready_fd: int  # the read end of its ready pipe, -1 once closed
    ready: bool = False  # it said it serves


class StartupFailure(Exception):
    """The workers cannot start at all."""


class Supervisor:
    """Keeps `settings.workers` workers serving `sock` until told to stop."""

    def __init__(self, settings: Settings, sock: socket.socket, metrics_dir: Path) -> None:
        self.settings = settings
        self.sock = sock
        self.metrics_dir = metrics_dir
        self.workers: dict[int, Worker] = {}  # by pid
        self.failures: dict[int, int] = {}  # slot → starts in a row that died before serving
        self.stopping = False
        self.ever_ready = False

    def start_worker(self, slot: int) -> Worker:
        """Fork the worker of `slot`."""
        from pm.server import worker as worker_module

        ready_r, ready_w = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: serve, and never return into the supervisor's loop
            code = 1
            try:
                os.close(ready_r)
                for other in self.workers.values():
                    if other.ready_fd >= 0:
                        os.close(other.ready_fd)
                address = self.sock.getsockname()[:2]
                worker_module.run(self.settings, listener(address), ready_w, parent)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                log.exception("worker failed", extra={"worker": slot})
            finally:
                logging.shutdown()
                os._exit(code)
        os.close(ready_w)
        worker = Worker(slot, pid, ready_r)
        self.workers[pid] = worker
        log.info("worker started", extra={"worker": slot, "pid": pid})
        return worker

    def run(self) -> int:
        """Supervise until SIGTERM/SIGINT; the exit code."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for slot in range(self.settings.workers):
                self.start_worker(slot)
            log.info(
                "serving with %d workers on %s:%d",
                self.settings.workers,
                self.settings.server_host,
                self.settings.server_port,
            )
            pending: dict[int, float] = {}  # slot → when to start its replacement
            while not self.stopping:
                self._wait_ready(TICK)
                for worker, status in self._reap():
                    pending[worker.slot] = self._replacement_time(worker, status)
                now = time.monotonic()
                for slot, when in list(pending.items()):
                    if when <= now and not self.stopping:
                        del pending[slot]
                        self.start_worker(slot)
            return 0
        except StartupFailure as exc:
            log.error("%s", exc)
            return 2
        finally:
            self.stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _wait_ready(self, timeout: float) -> None:
        """Wait up to `timeout` for workers to say they serve."""
        waiting = {w.ready_fd: w for w in self.workers.values() if w.ready_fd >= 0}
        if not waiting:
            time.sleep(timeout)
            return
        readable, _, _ = select.select(list(waiting), [], [], timeout)
        for fd in readable:
            worker = waiting[fd]
            if os.read(fd, 1):
                worker.ready = True
                self.ever_ready = True
                self.failures[worker.slot] = 0
                log.info("worker serving", extra={"worker": worker.slot, "pid": worker.pid})
            os.close(fd)  # after its word, or closed without one: it died (reaped next)
            worker.ready_fd = -1

    def _reap(self) -> list[tuple[Worker, int]]:
        """The workers that exited since the last look, with their wait status."""
        dead = []
        for pid in list(self.workers):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                worker = self.workers.pop(pid)
                if worker.ready_fd >= 0:
                    os.close(worker.ready_fd)
                    worker.ready_fd = -1
                self._mark_dead(pid)
                dead.append((worker, status))
        return dead

    def _replacement_time(self, worker: Worker, status: int) -> float:
        """When the dead worker's replacement may start."""
        how = (
            f"signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else f"code {os.waitstatus_to_exitcode(status)}"
        )
        if worker.ready:
            delay = 0.0
        elif not self.ever_ready:
            raise StartupFailure(
                f"worker {worker.slot} exited ({how}) before serving; "
                "the workers cannot start (see the error above)"
            )
        else:
            failures = self.failures.get(worker.slot, 0) + 1
            self.failures[worker.slot] = failures
            delay = min(MAX_BACKOFF, 0.25 * 2.0**failures)
        log.warning(
            "worker %d (pid %d) exited (%s); starting a replacement",
            worker.slot,
            worker.pid,
            how,
            extra={"delay": delay},
        )
        return time.monotonic() + delay

    def _mark_dead(self, pid: int) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, str(self.metrics_dir))  # type: ignore[no-untyped-call]

    def stop_all(self) -> None:
        """Ask every worker to stop and wait for them (killing stragglers)."""
        from pm.server.serving import GRACEFUL_SHUTDOWN

        self.stopping = True
        for pid in self.workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_SHUTDOWN + STOP_MARGIN
        while self.workers and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        for pid in list(self.workers):
            log.warning("worker did not stop in time; killing it", extra={"pid": pid})
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self._mark_dead(pid)
        self.workers.clear()


def fresh_metrics_dir() -> Path:
    """A new, empty directory for the workers' Prometheus files (inside a configured one)."""
    base = os.environ.get(METRICS_DIR_VARIABLE) or None
    if base is not None:
        Path(base).mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="pm-metrics-", dir=base))


def serve(settings: Settings) -> int:
    """Serve with `settings.workers` worker processes; the exit code.

    Raises ValueError or OSError (a bad setting, a port that cannot be bound) before any
    worker starts.
    """
    # Set before prometheus_client is first imported: it picks its mode on import.
    metrics_dir = fresh_metrics_dir()
    os.environ[METRICS_DIR_VARIABLE] = str(metrics_dir)
    try:
        from pm.server.serving import uvicorn_config

        uvicorn_config(settings)  # every check a worker makes, made once here
        sock = bind(settings.server_host, settings.server_port)
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            return Supervisor(settings, sock, metrics_dir).run()
        finally:
            sock.close()
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
