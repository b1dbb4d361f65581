"""The writer's turn across processes: a BSD `flock` on a lock file beside the database.

Worker processes that write one SQLite file would otherwise find SQLite's own lock free
only between the other's batches, and could only poll for it (no busy handler: statements
run on the event loop). The turn makes the wait a wake-up instead: a writer that finds the
turn taken waits for it in a thread, which the kernel wakes the moment the holder gives it
back; meanwhile the waiting process's writers queue on its in-process lock and join one
big batch when the turn comes.

`flock` locks belong to an open file description: they are independent of the POSIX locks
SQLite takes on the database, and the kernel drops them when the holder dies (kill -9),
so a dead worker never wedges the others. The turn is only a courtesy between our own
writers: other programs take SQLite's lock without it, which `begin` still retries for.

A second file beside the database, `CheckpointTurn`, lets one worker at a time
checkpoint it, at most once an interval.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_QUEUED, _WAITING, _HELD, _ABANDONED = range(4)
_pool: tuple[int, ThreadPoolExecutor] | None = None


def waiters() -> ThreadPoolExecutor:
    """This process's threads for waits, which last as long as the other process's batch:
    threads of their own, so they never hold up the default executor (store opening,
    checkpoints). Made per process: a forked worker never inherits its parent's threads."""
    global _pool  # one per process, made on first use
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(max_workers=64, thread_name_prefix="pm-turn"))
    return _pool[1]


def lock_path(db: Path) -> Path:
    """The lock file of the database at `db` (beside it, never mistaken for a tenant)."""
    return db.with_name(db.name + "-wlock")


class _Wait:
    """One wait for the turn in a thread, on a duplicate of the turn's descriptor.

    The duplicate shares the open file description (and so the lock), and is the thread's
    own: it stays valid whatever the store does meanwhile. A wait abandoned (timed out or
    cancelled) before it succeeds gives the turn back the moment it gets it.
    """

    __slots__ = ("fd", "mutex", "state")

    def __init__(self, fd: int) -> None:
        self.fd = os.dup(fd)
        self.mutex = threading.Lock()
        self.state = _QUEUED

    def run(self) -> None:
        """Block until the turn is this process's (in a thread), unless abandoned."""
        with self.mutex:
            if self.state == _ABANDONED:
                return  # abandoned before it started: `abandon` closed the descriptor
            self.state = _WAITING
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            with self.mutex:
                self.state = _ABANDONED
                os.close(self.fd)
            raise
        with self.mutex:
            if self.state == _ABANDONED:
                fcntl.flock(self.fd, fcntl.LOCK_UN)  # nobody wants it any more
            else:
                self.state = _HELD
            os.close(self.fd)  # the lock stays with the file description

    def abandon(self) -> bool:
        """Give up the wait; True when the turn was taken all the same (release it)."""
        with self.mutex:
            state, self.state = self.state, _ABANDONED
            if state == _QUEUED:
                os.close(self.fd)
        return state == _HELD


class WriterTurn:
    """One store's handle on its database's writer turn (the lock file stays open)."""

    __slots__ = ("_wait", "fd", "held", "waits")

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.held = False
        self.waits = 0  # how many times the turn had to be waited for (not taken at once)
        self._wait: _Wait | None = None

    def try_take(self) -> bool:
        """Take the turn if nobody holds it (no wait, no thread)."""
        if self.fd < 0:
            return False
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.held = True
        return True

    async def take(self, deadline: float) -> bool:
        """Take the turn, waiting until `deadline` (`time.monotonic()`) at the latest;
        False when it did not come by then.

        A cancelled wait is abandoned: should the thread get the turn later, it gives it
        back at once.
        """
        if self.held or self.try_take():
            return True
        timeout = deadline - time.monotonic()
        if timeout <= 0:
            return False
        self.waits += 1
        wait = self._wait = _Wait(self.fd)
        future = asyncio.get_running_loop().run_in_executor(waiters(), wait.run)
        try:
            async with asyncio.timeout(timeout):
                await future
        except BaseException as exc:
            if wait.abandon() and self.fd >= 0:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            if isinstance(exc, TimeoutError):
                return False
            raise
        finally:
            self._wait = None
        if self.fd < 0:  # closed meanwhile (which gave the turn back)
            return False
        self.held = True
        return True

    def give_back(self) -> None:
        """End this process's turn (nothing when it does not hold it)."""
        if self.held:
            self.held = False
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Give the turn back and close the lock file; a wait still running is abandoned
        (it keeps its own descriptor, and gives the turn back when it gets it)."""
        if self.fd < 0:
            return
        self.give_back()
        if self._wait is not None:
            self._wait.abandon()  # had it just got the turn, closing drops it
        fd, self.fd = self.fd, -1
        os.close(fd)


def checkpoint_path(db: Path) -> Path:
    """The file whose lock and age say who checkpoints the database at `db`, and when."""
    return db.with_name(db.name + "-ckpt")


class CheckpointTurn:
    """Which worker checkpoints a database now: one at a time, at most once an interval.

    Every worker that writes a database runs a checkpointer for it; each checkpoint of a
    busy WAL holds every worker's writers back for a moment (`SqliteStore.checkpoint`),
    so N workers checkpointing each second would pause writes N times a second. A
    non-blocking `flock` on a file beside the database says that another worker is
    checkpointing it right now, and the file's modification time when the last
    checkpoint, by any worker, ended. The file is open only while a checkpoint is
    claimed (an open tenant costs no descriptor for it).
    """

    __slots__ = ("fd", "path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = -1

    def claim(self, unless_within: float) -> bool:
        """Take this database's checkpoint, unless another worker is at it, or one ended
        less than `unless_within` seconds ago; True when taken (end it with `done`)."""
        if self.fd >= 0:
            return False  # this store's own checkpoint is going on
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = time.time() - os.fstat(fd).st_mtime >= unless_within
        except BlockingIOError:
            taken = False  # another worker's checkpoint is going on
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)  # which lets go of the lock, if taken
            return False
        self.fd = fd
        return True

    def done(self) -> None:
        """End a claimed checkpoint: note when, for the other workers, and let go."""
        fd, self.fd = self.fd, -1
        if fd >= 0:
            try:
                os.utime(fd)
            finally:
                os.close(fd)
