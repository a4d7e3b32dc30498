"""The web layer's worker threads: the caller's context goes along, and no more threads run at
once than a connection pool holds."""

from __future__ import annotations

import asyncio
import threading
import time
from contextvars import ContextVar

from overlap import Overlap
from sellergate.storage.database import POOL_SIZE
from sellergate.web.threads import in_database_thread, in_thread

REQUEST: ContextVar[str] = ContextVar("request", default="")


def test_the_callers_context_goes_to_the_thread() -> None:
    async def call(name: str) -> tuple[str, str]:
        REQUEST.set(name)
        return await in_thread(lambda: (REQUEST.get(), threading.current_thread().name))

    async def both() -> tuple[tuple[str, str], tuple[str, str]]:
        return await asyncio.gather(call("first"), call("second"))

    (first, first_thread), (second, second_thread) = asyncio.run(both())
    assert (first, second) == ("first", "second")
    assert first_thread.startswith("sellergate") and second_thread.startswith("sellergate")
    assert threading.current_thread().name not in (first_thread, second_thread)


def test_no_more_threads_at_once_than_a_connection_pool() -> None:
    overlap = Overlap()

    def work() -> None:
        with overlap.inside():
            time.sleep(0.02)

    async def many() -> None:
        await asyncio.gather(*(in_thread(work) for _ in range(POOL_SIZE * 3)))

    asyncio.run(many())
    assert POOL_SIZE // 2 < overlap.most <= POOL_SIZE


def test_the_database_calls_have_a_pool_of_their_own_whatever_its_size() -> None:
    # SELLERGATE_DATABASE_THREADS set to the general pool's size still gets a pool of its own.
    def name() -> str:
        return threading.current_thread().name

    async def both() -> tuple[str, str]:
        return await in_thread(name), await in_database_thread(POOL_SIZE, name)

    general, database = asyncio.run(both())
    assert general.startswith("sellergate-general")
    assert database.startswith("sellergate-database")
