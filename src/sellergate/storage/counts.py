"""Rate-limit counts kept in one process's memory: the storage behind ``limits``' fixed and
moving windows when no Redis is configured (:mod:`sellergate.web.budgets`).

``limits`` has an in-memory storage of its own, but its asynchronous one looks at every key
for ended windows after each hit (a new task per hit that walks all the keys). With the keys
of many tokens in a window each request pays for all of them, and since anyone can make up
tokens, each a key of its own, anyone can raise that cost. Here the end of each key's window
waits in a heap: a hit costs the same whatever the number of keys, and a key is dropped once
time passes its end. Everything runs on the event loop between two awaits, so no lock is
needed.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable

from limits.aio.storage import MovingWindowSupport, Storage


class ProcessCounts(Storage, MovingWindowSupport):
    """Fixed-window counters and moving-window logs, for one process and one event loop."""

    STORAGE_SCHEME = None

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__(wrap_exceptions=False)
        # Wall-clock seconds, as ``limits`` counts a window's reset.
        self._clock = clock
        # A fixed window's key: [count, when the window ends].
        self._counters: dict[str, list[float]] = {}
        # A moving window's key: the times of its hits in the window, oldest first (no more
        # than its limit: a hit over it is refused, not logged).
        self._hits: dict[str, deque[float]] = {}
        # (when a key may end, key, how long its window lasts): one entry per live key.
        self._ends: list[tuple[float, str, float]] = []

    @property
    def base_exceptions(self) -> type[Exception]:
        return ValueError

    def _drop_ended(self, now: float) -> None:
        ends = self._ends
        while ends and ends[0][0] <= now:
            _, key, expiry = heapq.heappop(ends)
            counter = self._counters.get(key)
            if counter is not None and counter[1] <= now:
                del self._counters[key]
            hits = self._hits.get(key)
            if hits is not None:
                if hits and hits[-1] + expiry > now:
                    # Hit since: it ends when its last hit leaves the window.
                    heapq.heappush(ends, (hits[-1] + expiry, key, expiry))
                else:
                    del self._hits[key]

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = self._clock()
        self._drop_ended(now)  # an ended window's counter is gone after this
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = [0, now + expiry]
            heapq.heappush(self._ends, (now + expiry, key, expiry))
        counter[0] += amount
        return int(counter[0])

    async def get(self, key: str) -> int:
        counter = self._counters.get(key)
        if counter is None or counter[1] <= self._clock():
            return 0
        return int(counter[0])

    async def get_expiry(self, key: str) -> float:
        now = self._clock()
        counter = self._counters.get(key)
        if counter is None or counter[1] <= now:
            return now
        return counter[1]

    def _in_window(self, key: str, expiry: float, now: float) -> deque[float] | None:
        """The key's hits still in its window (older ones are dropped: each once)."""
        hits = self._hits.get(key)
        if hits is not None:
            start = now - expiry
            while hits and hits[0] <= start:
                hits.popleft()
        return hits

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        self._drop_ended(now)
        hits = self._in_window(key, expiry, now)
        if hits is None:
            hits = self._hits[key] = deque()
            heapq.heappush(self._ends, (now + expiry, key, expiry))
        if len(hits) + amount > limit:
            return False
        hits.extend([now] * amount)
        return True

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self._clock()
        hits = self._in_window(key, expiry, now)
        if not hits:
            return now, 0
        return hits[0], len(hits)

    async def check(self) -> bool:
        return True

    async def reset(self) -> int | None:
        dropped = len(self._counters) + len(self._hits)
        self._counters.clear()
        self._hits.clear()
        self._ends.clear()
        return dropped

    async def clear(self, key: str) -> None:
        self._counters.pop(key, None)
        self._hits.pop(key, None)

    def __len__(self) -> int:
        """How many keys are held (what the tests look at)."""
        return len(self._counters) + len(self._hits)
