"""One writer at a time on an SQLite file, handed over at once, across threads and processes.

SQLite has a single writer. A transaction that finds the write lock taken waits in SQLite's
busy handler, which sleeps in steps of up to 100 ms between tries: under a burst of writes
from two server processes some writers overslept the release by that much, again and again
(refresh p99 at 4-5x its p50 even with the web layer's per-process queue). Here a writing
transaction first takes an exclusive ``flock`` on a file beside the database: the kernel wakes
the next waiter the moment the lock is released, in any process of this host.

Threads of one process share the lock's file descriptor, and ``flock`` does not exclude holders
of the same descriptor, so a thread lock orders them first. Waiting is bounded as SQLite's own
is (its busy timeout): a writer that waited that long goes on without the lock and meets the
busy handler, which then fails it as before (a 503), so a stuck writer cannot hang the others
forever. Where the lock file cannot be opened (a read-only directory) or ``flock`` does not
exist, writers rely on the busy handler alone: the lock only ever makes writers queue better,
never decides who may write.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator

try:
    import fcntl
except ImportError:  # not a POSIX system: the busy handler alone
    fcntl = None  # type: ignore[assignment]


# How often a writer waiting for another process's writer tries the lock again: the kernel's
# blocking wait has no timeout, so the wait is a loop of non-blocking tries. Two processes'
# refreshes hand the lock over a thousand times a second, and every try too late leaves it
# idle: 0.1 ms against 0.5 ms gave 8-10% more refreshes on SQLite (docs/benchmarks.md).
_RETRY_SECONDS = 0.0001


class WriterBusy(Exception):
    """Another writer holds the write lock, and this one may not wait for it
    (:meth:`SqliteWriteLock.without_waiting`); nothing was written."""


class SqliteWriteLock:
    def __init__(self, database_path: str, timeout: float) -> None:
        self._timeout = timeout
        self._threads = threading.Lock()
        self._path = database_path + "-writer.lock"
        self._fd: int | None = None
        # The thread that holds the lock: its own writes inside need not (and could not) take
        # it again.
        self._owner: int | None = None
        # Per thread: whether it may not wait for the lock, and whether it held it since.
        self._mode = threading.local()

    def _descriptor(self) -> int | None:
        if fcntl is None:
            return None
        if self._fd is None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                return None
        return self._fd

    def _lock_file(self, fd: int, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(_RETRY_SECONDS)

    @contextlib.contextmanager
    def without_waiting(self) -> Iterator[None]:
        """Within the block, this thread's first :meth:`held` takes the lock only if it is free
        now, and raises :class:`WriterBusy` otherwise: for writes on the event loop, which must
        not wait for another process's writer, and may instead start again in a thread that
        can. Once the thread has held the lock in the block, it waits as anywhere else (it
        wrote something, and starting again would write it twice)."""
        self._mode.no_wait = True
        try:
            yield
        finally:
            self._mode.no_wait = False

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        if self._owner == threading.get_ident():
            yield  # this thread holds it already
            return
        if getattr(self._mode, "no_wait", False):
            self._mode.no_wait = False  # from now on, it waits
            with self._held_if_free() as free:
                if not free:
                    raise WriterBusy("another writer holds the database's write lock")
                yield
            return
        deadline = time.monotonic() + self._timeout
        if not self._threads.acquire(timeout=self._timeout):
            yield  # waited as long as SQLite would: its busy handler decides
            return
        try:
            fd = self._descriptor()
            locked = fd is not None and self._lock_file(fd, deadline)
            with self._owned(fd if locked else None):
                yield
        finally:
            self._threads.release()

    @contextlib.contextmanager
    def _held_if_free(self) -> Iterator[bool]:
        """The lock if no thread or process holds it now, without waiting: ``True`` inside,
        held; ``False`` when it is taken (or there is no lock file), and nothing is held."""
        fd = self._descriptor()
        if fd is None or not self._threads.acquire(blocking=False):
            yield False
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            with self._owned(fd):
                yield True
        finally:
            self._threads.release()

    @contextlib.contextmanager
    def _owned(self, fd: int | None) -> Iterator[None]:
        """This thread owns the lock (its thread lock taken, and the file's ``flock`` on ``fd``
        unless None) until the block ends; then the file is let go."""
        self._owner = threading.get_ident()
        try:
            yield
        finally:
            self._owner = None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
