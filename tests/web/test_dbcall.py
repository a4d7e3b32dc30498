"""Where a request's database writes run (``web.dbcall``): on SQLite one at a time per process,
queued on the event loop, on PostgreSQL side by side; and how many calls run in threads at
once (``SELLERGATE_DATABASE_THREADS``)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import Connection, text

from inprocess import on_own_loop
from lockholder import held_by_another_thread
from overlap import Overlap
from sellergate.config import ConfigError, Settings, load_settings
from sellergate.storage.database import POOL_SIZE, Database
from sellergate.storage.writelock import SqliteWriteLock
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
        return await asyncio.gather(*(calls[n % 2].write(True, write, n) for n in range(8)))

    assert on_own_loop(main) == list(range(8))
    if database == "sqlite":
        assert overlap.most == 1
        assert order == list(range(8)), "handed over in arrival order"
    else:
        assert overlap.most > 1, "PostgreSQL writers do not queue in the process"


def test_a_brief_sqlite_write_runs_on_the_loop_unless_another_writer_holds_the_lock(
    db: Database, database: str
) -> None:
    calls = DatabaseCalls(db)

    def write() -> str:
        # A transaction inside, as a token request's: it takes the lock the call holds.
        with db.transaction(write=True) as connection:
            connection.execute(text("SELECT 1"))
        return threading.current_thread().name

    async def main() -> tuple[str, str, str]:
        loop = threading.current_thread().name
        return loop, await calls.write(False, write), await calls.write(True, write)

    loop, brief, long = on_own_loop(main)
    assert long != loop, "a write that may run long goes to a thread"
    if database != "sqlite":
        assert brief != loop, "PostgreSQL writes always run in a thread"
        return
    assert brief == loop
    # Another process's writer (another open description of the lock file) holds the lock:
    # the brief write goes to a thread and waits there, while the loop goes on.
    other = SqliteWriteLock(str(db.engine.url.database), timeout=10)

    async def waiting() -> tuple[str, str, int]:
        task = asyncio.ensure_future(calls.write(False, write))
        ticks = 0
        while not task.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return threading.current_thread().name, await task, ticks

    with held_by_another_thread(other, seconds=0.3):
        loop, where, ticks = on_own_loop(waiting)
    other.close()
    assert where != loop
    assert ticks >= 10, "the loop ran while the write waited for the lock"


@pytest.mark.databases("sqlite")
def test_a_brief_sqlite_write_takes_the_lock_at_its_first_transaction_or_starts_again(
    db: Database,
) -> None:
    """The lock is not held while the write works out what to write; should another writer
    take it meanwhile, the write starts again from the start in a thread, and writes once."""
    with db.transaction(write=True) as connection:
        connection.execute(text("CREATE TABLE written (n INTEGER)"))
    calls = DatabaseCalls(db)
    other = SqliteWriteLock(str(db.engine.url.database), timeout=10)
    runs: list[str] = []
    holders: list[threading.Thread] = []
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with other.held():
            taken.set()
            release.wait(5)

    def write() -> None:
        runs.append(threading.current_thread().name)
        if len(runs) == 1:
            # Before its first statement: another process's writer can take the lock.
            holders.append(threading.Thread(target=hold))
            holders[0].start()
            assert taken.wait(5), "the lock was held before the first transaction"
            threading.Timer(0.2, release.set).start()
        with db.transaction(write=True) as connection:
            connection.execute(text("INSERT INTO written (n) VALUES (1)"))

    async def main() -> str:
        await calls.write(False, write)
        return threading.current_thread().name

    loop = on_own_loop(main)
    holders[0].join()
    other.close()
    assert runs[0] == loop and len(runs) == 2 and runs[1] != loop, runs
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM written")).scalar() == 1
    # Free, the write runs on the loop and takes the lock at its transaction.
    runs.clear()
    runs.append("not the first")
    assert on_own_loop(main) == runs[1]
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM written")).scalar() == 2


def test_a_transaction_on_demand_begins_at_its_first_use(db: Database) -> None:
    with db.transaction(write=True) as connection:
        connection.execute(text("CREATE TABLE written (n INTEGER)"))
    with db.transaction_on_demand(write=True) as opener:
        pass  # never asked for: nothing begun, nothing to commit
    with db.transaction_on_demand(write=True) as opener:
        opener().execute(text("INSERT INTO written (n) VALUES (1)"))
        assert opener() is opener()
    with pytest.raises(RuntimeError), db.transaction_on_demand(write=True) as opener:
        opener().execute(text("INSERT INTO written (n) VALUES (2)"))
        raise RuntimeError("rolled back")
    with db.engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM written")).scalars().all() == [1]


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
        writes = [calls.write(True, write, n) for n in range(8, 16)]
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
