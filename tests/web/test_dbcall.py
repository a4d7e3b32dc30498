"""Where a request's database writes run (``web.dbcall``): on SQLite one at a time per process,
queued on the event loop, on PostgreSQL side by side; and how many calls run in threads at
once (``SELLERGATE_DATABASE_THREADS``)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import Connection, text

from inprocess import on_own_loop
from overlap import Overlap
from sellergate.config import ConfigError, Settings, load_settings
from sellergate.storage.database import POOL_SIZE, Database
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

    assert on_own_loop(main) == list(range(8))
    if database == "sqlite":
        assert overlap.most == 1
        assert order == list(range(8)), "handed over in arrival order"
    else:
        assert overlap.most > 1, "PostgreSQL writers do not queue in the process"


def test_calls_in_threads_run_at_most_the_configured_number_at_once(
    db: Database, settings: Settings
) -> None:
    narrow = Database(settings.model_copy(update={"database_threads": 3}), engine=db.engine)
    calls = DatabaseCalls(narrow)
    overlap = Overlap()

    def long_read(connection: Connection, number: int) -> int:
        with overlap.inside():
            time.sleep(0.02)
            return int(connection.execute(text("SELECT :n"), {"n": number}).scalar_one())

    def write(number: int) -> int:
        with overlap.inside():
            time.sleep(0.02)
        return number

    async def main() -> list[int]:
        reads = [calls.read(True, long_read, n) for n in range(8)]
        writes = [calls.write(write, n) for n in range(8, 16)]
        return await asyncio.gather(*reads, *writes)

    assert on_own_loop(main) == list(range(16))
    assert overlap.most == 3, "every call ran, never more than three at once"


def test_the_connection_pool_holds_every_thread(settings: Settings) -> None:
    """docs/deployment.md: each worker holds up to 16 connections plus one for each of its
    SELLERGATE_DATABASE_THREADS (4 by default: 20 in all)."""
    for threads, connections in ((settings.database_threads, 20), (6, 22)):
        database = Database(settings.model_copy(update={"database_threads": threads}))
        try:
            assert database.engine.pool.size() == POOL_SIZE + threads == connections  # type: ignore[attr-defined]
        finally:
            database.dispose()


@pytest.mark.parametrize("value", ["0", "17", "many"])
def test_the_thread_count_is_checked_at_start(value: str) -> None:
    assert load_settings().database_threads == 4
    with pytest.raises(ConfigError) as raised:
        load_settings(database_threads=value)
    assert "SELLERGATE_DATABASE_THREADS" in str(raised.value)
