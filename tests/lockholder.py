"""An SQLite writers' lock held by another thread, as another writer would hold it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sellergate.storage.writelock import SqliteWriteLock


@contextlib.contextmanager
def held_by_another_thread(lock: SqliteWriteLock, seconds: float = 30) -> Iterator[None]:
    """``lock`` held by a thread of its own from the start of the block until its end, or for
    ``seconds`` if that comes first."""
    taken = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with lock.held():
            taken.set()
            release.wait(seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(5), "the lock was not taken"
    try:
        yield
    finally:
        release.set()
        holder.join()
