"""Where a request's database writes run (``web.dbcall``): on SQLite one at a time per process,
queued on the event loop, on PostgreSQL side by side."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from overlap import Overlap
from sellergate.storage.database import Database
from sellergate.web.dbcall import DatabaseCalls


def test_sqlite_writes_queue_in_the_process(db: Database, database: str) -> None:
    # Two instances, as the GraphQL and OAuth endpoints each have one: they share the queue.
    calls = [DatabaseCalls(db), DatabaseCalls(db)]
    overlap = Overlap()
    order: list[int] = []

    def write(number: int) -> int:
        with overlap.inside():
            time.sleep(0.02)  # a write holding the file's lock
            order.append(number)
        return number

    async def main() -> list[int]:
        return await asyncio.gather(*(calls[n % 2].write(write, n) for n in range(8)))

    # On a loop of its own, in a thread: Playwright's synchronous API may keep one running here.
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, main()).result(timeout=60) == list(range(8))
    if database == "sqlite":
        assert overlap.most == 1
        assert order == list(range(8)), "handed over in arrival order"
    else:
        assert overlap.most > 1, "PostgreSQL writers do not queue in the process"
