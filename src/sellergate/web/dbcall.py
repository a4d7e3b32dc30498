"""Where a request's database work runs: on the event loop or in a worker thread.

The embedded SQLite file answers reads in microseconds and never blocks them (WAL), so a read
runs on the event loop: twice as fast as a hop to a worker thread fighting it for the GIL.
Writes, which may wait for SQLite's lock, long reads (a costly GraphQL operation) and all work
on a networked database go to a worker thread (at most as many as the connection pool holds;
see ``web.app``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from sellergate.storage.database import Database

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseCalls:
    def __init__(self, db: Database) -> None:
        self.reads_inline = db.engine.dialect.name == "sqlite"

    async def run(
        self, may_block: bool, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``function``; ``may_block`` says it writes or may run long."""
        if self.reads_inline and not may_block:
            return function(*args, **kwargs)
        return await run_in_threadpool(function, *args, **kwargs)
