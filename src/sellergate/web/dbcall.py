"""Where and how a request's database work runs: the one rule for the whole web layer.

Where: the embedded SQLite file answers reads in microseconds and never blocks them (WAL), so a
read runs on the event loop: twice as fast as a hop to a worker thread fighting it for the GIL.
Writes, which may wait for SQLite's lock, long reads (a costly GraphQL operation) and all work
on a networked database go to a worker thread (at most as many as the connection pool holds;
see ``web.threads``), but for the batched lookups, which the event loop sends to PostgreSQL
itself (``web.lookups``).

How: a request that only reads gets one connection (:meth:`DatabaseCalls.read`), no ORM
session unless its code asks for one; on the event loop it is the one the loop keeps
(:meth:`Database.kept_read`), since a checkout from the pool cost as much as the lookup.
On PostgreSQL that connection is in autocommit: under READ COMMITTED each statement takes its
own snapshot anyway, so a BEGIN and a ROLLBACK around a read are two round trips for nothing.
On SQLite it keeps its transaction, which gives every statement of the request the same
snapshot for free.

Writes on SQLite queue on an :class:`asyncio.Lock` before the hop, one at a time per process:
the file has a single writer anyway, and a writer waiting in SQLite's busy handler polls with
sleeps of up to 100 ms, so with a dozen threads contending some waited a second or more
(refresh p99 at 1.8 s, 38x its p50). The lock hands over in arrival order, the moment the
previous writer is done, and no more than one thread per process waits for the file's own
writer lock (:mod:`sellergate.storage.writelock`), which orders the processes.

How many: the calls that go to a thread run in a pool of ``SELLERGATE_DATABASE_THREADS``
threads per process (4 by default); the others wait in its queue, holding neither a thread nor
a connection, and a thread that finishes takes the next without a trip through the event loop.
Every thread that runs Python fights the others and the event loop for the GIL, and every
transaction in flight is one more backend competing for the database server's cores: on
PostgreSQL with 2 workers, a refresh made 700-720 requests a second with 16 threads and
960-1,070 with 4 (``python -m bench``, docs/benchmarks.md). A limit counted on the event loop
(a semaphore around a larger pool) gained only half as much: each hand-over then waits for the
loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine

from sellergate.storage.database import Database
from sellergate.storage.writelock import WriterBusy
from sellergate.web.threads import in_database_thread

P = ParamSpec("P")
T = TypeVar("T")

# One SQLite write lock per engine and event loop: a server process runs one loop, but an
# asyncio lock must not be shared between loops (tests run several, one after another).
_WRITERS: weakref.WeakKeyDictionary[
    Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()


def _write_lock(engine: Engine) -> asyncio.Lock:
    locks = _WRITERS.setdefault(engine, weakref.WeakKeyDictionary())
    loop = asyncio.get_running_loop()
    lock = locks.get(loop)
    if lock is None:
        lock = locks[loop] = asyncio.Lock()
    return lock


class DatabaseCalls:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.reads_inline = db.engine.dialect.name == "sqlite"
        self.threads = db.settings.database_threads
        self.reader = (
            db.engine
            if self.reads_inline
            else db.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    async def run(
        self, may_block: bool, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``function``; ``may_block`` says it may run long (a costly read)."""
        if self.reads_inline and not may_block:
            return function(*args, **kwargs)
        return await in_database_thread(self.threads, function, *args, **kwargs)

    async def write(
        self, may_block: bool, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``function``, which writes, in a worker thread (on SQLite, one at a time);
        ``may_block`` says it may run long.

        On SQLite a brief write (a token request's) runs on the event loop instead: its hop to
        a thread and back cost more than its SQL, and by a different amount from run to run
        (the thread wakes on whichever core is free). Nothing of this process runs meanwhile,
        as it would not have while the thread held the interpreter. The file's write lock is
        taken by its first transaction, not before: what the function works out before it
        writes (a token request: the client's authentication, the request's checks) does not
        hold up the other processes' writers. Should another writer hold the lock then, the
        function has written nothing, and it runs again from the start in a thread, to wait
        there: the loop never waits on another writer's lock before it wrote. So a brief
        write function must do nothing before its first transaction that it cannot do twice."""
        if self.reads_inline:
            async with _write_lock(self.db.engine):
                lock = self.db.write_lock
                if not may_block and lock is not None:
                    try:
                        with lock.without_waiting():
                            return function(*args, **kwargs)
                    except WriterBusy:
                        pass
                return await in_database_thread(self.threads, function, *args, **kwargs)
        return await in_database_thread(self.threads, function, *args, **kwargs)

    async def read(
        self,
        may_block: bool,
        function: Callable[Concatenate[Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run ``function(connection, ...)`` for work that only reads; ``may_block`` says it
        may run long."""

        def on_connection() -> T:
            with self.reader.connect() as connection:
                result = function(connection, *args, **kwargs)
            self.db.outage.succeeded(wrote=False)
            return result

        if self.reads_inline and not may_block:
            # On the event loop, one read at a time: the connection the loop keeps, no
            # checkout from the pool per request.
            with self.db.kept_read() as connection:
                result = function(connection, *args, **kwargs)
            self.db.outage.succeeded(wrote=False)
            return result
        return await self.run(may_block, on_connection)
