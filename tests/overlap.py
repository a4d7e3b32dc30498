"""Counting how many threads are inside a section at once, for tests of locks and bounds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Overlap:
    """``with overlap.inside(): ...`` in each thread; ``most`` is the largest number that were
    inside together."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._inside = 0
        self.most = 0

    @contextmanager
    def inside(self) -> Iterator[None]:
        with self._guard:
            self._inside += 1
            self.most = max(self.most, self._inside)
        try:
            yield
        finally:
            with self._guard:
                self._inside -= 1
