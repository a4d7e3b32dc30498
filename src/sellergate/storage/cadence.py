"""At most once an interval, per process: for housekeeping done on the way (pruning expired
rows of a table the request path writes), which every thread may ask for."""

from __future__ import annotations

import threading
import time


class Cadence:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = -seconds
        self._lock = threading.Lock()

    def due(self) -> bool:
        """Whether the interval has passed since the last time this said yes (then it starts
        again): of the threads that ask at once, one is told yes."""
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.seconds:
                return False
            self._last = now
            return True
