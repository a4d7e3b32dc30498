"""Concurrent lookups of one kind share one statement and one round trip (DataLoader-style).

On a networked database each lookup pays a hop to a worker thread, a connection checkout and a
round trip, and under load dozens of requests of a worker process wait on the same lookup at
the same moment. :class:`Coalescer` gathers the keys asked for while the event loop is busy and
looks them up together: one hop, one connection, one ``... = ANY(:keys)`` statement.

Nothing is cached: every batch reads the database after its callers asked, so a revocation
committed before a request is seen by it, on every node. A batch never waits for company: the
first key asked for schedules the batch for the loop's next turn (``call_soon``: no timer),
which takes whatever has been asked for by then. While a batch is in flight the keys asked for
gather for the next one, which leaves the moment the batch in flight is back; so a lone request
goes at once, and under load the batches grow with the load.

Each caller gets its own outcome: the batch function returns one result or exception per key,
and a caller whose key failed (an unknown token) does not affect the others. If the batch
function itself raises (the database cannot answer), every caller of that batch gets that
error.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
R = TypeVar("R")

BatchFunction = Callable[[list[K]], Awaitable[Sequence[R | Exception]]]


class BatchSizes:
    """How many keys each batch carried: the figures to tell whether coalescing pays."""

    def __init__(self, observe: Callable[[int], None] | None = None) -> None:
        self.batches = 0
        self.keys = 0
        self.largest = 0
        self._observe = observe
        self._lock = threading.Lock()

    def record(self, size: int) -> None:
        with self._lock:
            self.batches += 1
            self.keys += size
            self.largest = max(self.largest, size)
        if self._observe is not None:
            self._observe(size)

    @property
    def mean(self) -> float:
        return self.keys / self.batches if self.batches else 0.0


class Coalescer(Generic[K, R]):
    """Look keys up in batches: ``await coalescer.load(key)`` from any task of one event loop.

    ``batch`` gets the distinct keys of a batch and returns, in the same order, each key's
    result or the exception to raise for it. Callers asking for the same key in one batch
    share its result.
    """

    def __init__(self, batch: BatchFunction[K, R], sizes: BatchSizes | None = None) -> None:
        self._batch = batch
        self.sizes = sizes or BatchSizes()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[K, list[asyncio.Future[R]]] = {}
        self._scheduled = False
        self._in_flight = False

    async def load(self, key: K) -> R:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            # A server process runs one loop; tests run several, one after another.
            self._loop, self._waiting = loop, {}
            self._scheduled = self._in_flight = False
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.setdefault(key, []).append(future)
        if not self._scheduled and not self._in_flight:
            self._scheduled = True
            loop.call_soon(self._dispatch)
        return await future

    def _dispatch(self) -> None:
        self._scheduled = False
        if self._in_flight or not self._waiting or self._loop is None:
            return
        waiting, self._waiting = self._waiting, {}
        self._in_flight = True
        self.sizes.record(sum(len(futures) for futures in waiting.values()))
        self._loop.create_task(self._run(waiting))

    async def _run(self, waiting: dict[K, list[asyncio.Future[R]]]) -> None:
        keys = list(waiting)
        try:
            results = await self._batch(keys)
            if len(results) != len(keys):
                raise RuntimeError(f"a batch of {len(keys)} keys returned {len(results)} results")
        except BaseException as error:
            given = error if isinstance(error, Exception) else RuntimeError("batch cancelled")
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(given)
            if given is not error:
                raise
        else:
            for key, result in zip(keys, results, strict=True):
                for future in waiting[key]:
                    if future.done():  # its request was cancelled
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._in_flight = False
            # What gathered meanwhile leaves now, on the next turn of the loop.
            if self._waiting and not self._scheduled and self._loop is not None:
                self._scheduled = True
                self._loop.call_soon(self._dispatch)
