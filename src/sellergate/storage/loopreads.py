"""PostgreSQL reads run by the event loop itself, on psycopg's asynchronous driver.

A coalesced batch of lookups (``web.lookups``) reads for a dozen requests at once. Sent to a
worker thread, it paid the hop there and back and a checkout from the pool, and the thread then
fought the event loop for the interpreter while it turned the rows into answers. Here the loop
sends the statement and serves other requests until the rows are back: `me` on PostgreSQL made
5,256-5,993 requests a second through a thread and 6,350-6,904 on the loop (``python -m bench
--postgres --workers 2``, four rounds alternated), with 294-337 against 261-283 µs of CPU per
request.

Each :class:`LoopReads` keeps one connection per event loop, in autocommit (a read is one
statement, as on the thread path), opened at its first read. A lookup written as
:data:`~sellergate.storage.prebuilt.Reads` runs here as it does on a SQLAlchemy connection:
the same prebuilt statements, the same conversions. What the driver raises is raised as
SQLAlchemy's exception for it, as on the thread path, so that a database that cannot answer is
a 503 and counted in the outage log. A kept connection that the server cut while it sat idle
(a restart) fails the first read on it: reads change nothing, so that read is sent once more
on a new connection before anything is reported.

Only reads come here: a write (an OAuth token's first use) goes to a worker thread as before.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, TypeVar

import psycopg
from sqlalchemy.exc import DBAPIError, StatementError

from sellergate.storage.database import CONNECT_TIMEOUT, Database
from sellergate.storage.faults import is_fault
from sellergate.storage.prebuilt import Read, Reads

T = TypeVar("T")


class LoopReads:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._kept: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def observed(self) -> bool:
        """Whether something listens to the engine's statements (query logging, tracing, the
        tests' statement counters): they are seen only on the engine's own connections."""
        engine = self.db.engine
        return bool(engine.dispatch.before_cursor_execute or engine.echo)

    async def run(self, reads: Reads[T]) -> T:
        """Run a lookup's reads, one after the other, on this loop's connection; its answer."""
        try:
            read = next(reads)
            while True:
                read = reads.send(await self._rows(read))
        except StopIteration as done:
            self.db.outage.succeeded(wrote=False)
            answer: T = done.value
            return answer

    async def _rows(self, read: Read) -> list[tuple[Any, ...]]:
        compiled = read.prebuilt.compiled(self.db.engine.dialect)
        arguments = compiled.arguments(read.parameters)
        loop = asyncio.get_running_loop()
        kept = self._kept.get(loop)
        if kept is not None:
            try:
                return compiled.converted(await self._fetch(kept, compiled.sql, arguments))
            except psycopg.OperationalError:
                await self._drop(loop)  # cut while it sat idle: once more, on a new connection
            except psycopg.Error as error:
                await self._drop(loop)
                raise self._translated(error) from error
        try:
            kept = self._kept[loop] = await self._connect()
            return compiled.converted(await self._fetch(kept, compiled.sql, arguments))
        except psycopg.Error as error:
            await self._drop(loop)
            raise self._translated(error) from error

    @staticmethod
    async def _fetch(connection: Any, sql: str, arguments: Any) -> list[Any]:
        async with connection.cursor() as cursor:
            await cursor.execute(sql, arguments)
            return await cursor.fetchall() if cursor.description else []

    async def _drop(self, loop: asyncio.AbstractEventLoop) -> None:
        kept = self._kept.pop(loop, None)
        if kept is not None:
            await kept.close()

    async def _connect(self) -> Any:
        engine = self.db.engine
        args, options = engine.dialect.create_connect_args(engine.url)
        return await psycopg.AsyncConnection.connect(
            *args, **{"connect_timeout": CONNECT_TIMEOUT, **options}, autocommit=True
        )

    def _translated(self, error: psycopg.Error) -> StatementError:
        """The driver's error as SQLAlchemy raises it (an ``OperationalError`` for a server
        that cannot be reached), counted in the outage log if it is a fault."""
        translated = DBAPIError.instance(None, None, error, psycopg.Error, hide_parameters=True)
        if is_fault(translated):
            self.db.outage.failed(translated)
        return translated

    async def aclose(self) -> None:
        """Close this loop's connection (the app's shutdown)."""
        await self._drop(asyncio.get_running_loop())
