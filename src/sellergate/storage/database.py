"""Engine and session factory for the configured database, with the right drivers and pragmas.

Faults (see :mod:`sellergate.storage.faults`) are seen in one place, the engine's
``handle_error`` event: every failure is counted in the process's :class:`OutageLog`, and an
SQLite connection that found its file read-only, full or unopenable is treated as a lost
connection, so the whole pool is replaced: a connection opened while the file was read-only
stays read-only even after the file becomes writable again.
"""

from __future__ import annotations

import os
import stat
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, ExceptionContext, create_engine, event, text
from sqlalchemy.exc import InvalidatePoolError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from sellergate.config import Settings
from sellergate.storage.faults import SQLITE_FAULTS, OutageLog, is_fault, is_unwritable
from sellergate.storage.writelock import SqliteWriteLock

# How long an SQLite writer waits for the file's write lock before it fails (503).
SQLITE_BUSY_SECONDS = 10


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # pysqlite's own BEGIN handling is switched off (isolation_level=None) so that a writing
    # transaction can take the write lock when it starts: two writers then queue on the busy
    # timeout instead of one failing when it upgrades a read lock.
    sql = "BEGIN " + conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    if conn.dispatch.before_cursor_execute or conn.engine.echo:
        conn.exec_driver_sql(sql)  # seen by whatever listens to the statements
        return
    # On the driver, as storage.prebuilt runs its statements: through SQLAlchemy this BEGIN
    # cost more than a refresh's lookup (an execution context and a result for no rows).
    try:
        conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
    except conn.dialect.loaded_dbapi.Error as error:
        conn._handle_dbapi_exception(error, sql, (), None, None)


# Seconds a connection attempt to a database server may take before it fails (503).
CONNECT_TIMEOUT = 5
_OUTAGES: weakref.WeakKeyDictionary[Engine, OutageLog] = weakref.WeakKeyDictionary()

# Threads per process for blocking work other than the API's database calls (pages, password
# hashing, background jobs; web.threads). The connection pool holds one connection for each of
# them and each of the SELLERGATE_DATABASE_THREADS that run the API's database calls, so a
# request never waits on, or churns through, connections beyond the pool.
POOL_SIZE = 16


def make_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    pool_size = POOL_SIZE + settings.database_threads
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_SECONDS,
                "isolation_level": None,
            },
            pool_size=pool_size,
            max_overflow=0,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )
    event.listen(engine.pool, "checkin", _idle_from)
    event.listen(engine.pool, "checkout", _ping_if_idle)
    return engine


# A pooled connection back in use within this many seconds is used without a ping. SQLAlchemy's
# pre-ping costs a round trip on every checkout (a token lookup on PostgreSQL: 610 -> 390 µs of
# CPU without it); under load a connection comes back within milliseconds, so only one that sat
# idle (long enough for a server restart to have cut it) is pinged. A connection cut while in
# use fails its request once (503), and that disconnect invalidates the older pooled ones.
IDLE_PING_SECONDS = 0.2


def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_from"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    idle_from = record.info.get("idle_from")
    if idle_from is None or time.monotonic() - idle_from < IDLE_PING_SECONDS:
        return
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()  # ends the transaction the driver began for the ping
    except Exception as error:
        # The pool opens a new connection (and fails, counted as an outage, only if that does),
        # and drops every connection older than this one: they died with the same server.
        raise InvalidatePoolError(str(error)) from error


def repair_sidecars(path: str) -> None:
    """Give the WAL files of an SQLite database that became writable its permissions back.

    SQLite creates ``-wal`` and ``-shm`` with the database file's permissions: a server that
    opened a read-only file made them read-only too, and once the operator makes the database
    writable again every new connection still opens read-only through its ``-shm`` (a server
    started on a read-only file never recovered). A side file that lacks the owner's write
    permission the database file now has gets the database file's permissions; nothing else is
    touched.
    """
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if not mode & stat.S_IWUSR:
        return
    for suffix in ("-wal", "-shm"):
        try:
            side = os.stat(path + suffix)
            if not stat.S_IMODE(side.st_mode) & stat.S_IWUSR:
                os.chmod(path + suffix, mode)
        except OSError:
            continue


def _watch_faults(engine: Engine) -> OutageLog:
    """The engine's outage log, made and hooked up on first use (one per engine, however many
    :class:`Database` objects share it)."""
    if (outage := _OUTAGES.get(engine)) is not None:
        return outage
    outage = _OUTAGES[engine] = OutageLog()

    def on_error(context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception or context.original_exception
        if context.dialect.name == "sqlite":
            text_ = str(context.original_exception).lower()
            if any(fault in text_ for fault in SQLITE_FAULTS):
                context.is_disconnect = True
                if is_unwritable(context.original_exception) and engine.url.database:
                    repair_sidecars(engine.url.database)
        if context.is_disconnect or is_fault(error):
            outage.failed(error)

    event.listen(engine, "handle_error", on_error)
    return outage


def commits_writes(connection: Connection) -> bool:
    """Whether a write on ``connection`` as it is will be committed, and may be made: it is in
    autocommit (a PostgreSQL read), or in a writing transaction (an SQLite one began with
    ``BEGIN IMMEDIATE``, holding the write lock). Otherwise write in a transaction of its own:
    an SQLite read's snapshot may not upgrade to a write, and a plain connection rolls back."""
    options = connection.get_execution_options()
    return (
        options.get("isolation_level") == "AUTOCOMMIT" or options.get("sqlite_begin") == "IMMEDIATE"
    )


READINESS_WRITE = "UPDATE alembic_version SET version_num = version_num"
READINESS_READ = "SELECT version_num FROM alembic_version"


class Database:
    """The engine plus a session factory; one per process, built from settings."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or make_engine(settings)
        self.outage = _watch_faults(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writer = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self.writers = sessionmaker(self.writer, expire_on_commit=False)
        # Each thread's kept connection for reads on the event loop (:meth:`kept_read`), and
        # every one made, for :meth:`dispose`.
        self._kept = threading.local()
        self._kept_all: set[Connection] = set()
        path = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
        self.write_lock = (
            SqliteWriteLock(path, timeout=SQLITE_BUSY_SECONDS)
            if path and path != ":memory:"
            else None
        )

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error.

        Pass ``write=True`` for a transaction that writes: on SQLite it then holds the write
        lock from its start (reads alone never wait for it).
        """
        queued = self.write_lock.held() if write and self.write_lock else nullcontext()
        with queued, (self.writers if write else self.sessions).begin() as session:
            yield session
        self.outage.succeeded(wrote=write)

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """:meth:`session` without the ORM: a connection in a transaction that commits on
        success and rolls back on error. For work on Core statements (a refresh), where a
        session's set-up and commit cost more than the SQL; a session made over it on demand
        (:class:`~sellergate.storage.handles.DatabaseHandle`) must be flushed before the end."""
        queued = self.write_lock.held() if write and self.write_lock else nullcontext()
        with queued, (self.writer if write else self.engine).begin() as connection:
            yield connection
        self.outage.succeeded(wrote=write)

    @contextmanager
    def transaction_on_demand(self, *, write: bool = False) -> Iterator[Callable[[], Connection]]:
        """:meth:`transaction`, begun only when its connection is first asked for (the function
        given): until then no connection is taken, and on SQLite neither the write lock nor
        ``BEGIN IMMEDIATE``, so work before the first statement holds up no other writer. The
        block's end commits what was begun (or rolls it back on error)."""
        with ExitStack() as stack:
            opened: list[Connection] = []

            def connection() -> Connection:
                if not opened:
                    opened.append(stack.enter_context(self.transaction(write=write)))
                return opened[0]

            yield connection

    @contextmanager
    def kept_read(self) -> Iterator[Connection]:
        """A read on the connection this thread keeps: for SQLite reads on the event loop, one
        request at a time, where a checkout from the pool costs as much as the lookup itself.
        Its transaction ends with the read, so the next one sees what was committed since; a
        connection that failed is closed, and the next read takes a fresh one. A read within a
        read (none is planned) gets a connection of its own from the pool."""
        kept = self._kept
        if getattr(kept, "busy", False):
            with self.engine.connect() as own:
                yield own
            return
        connection: Connection | None = getattr(kept, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = kept.connection = self.engine.connect()
            self._kept_all.add(connection)
        kept.busy = True
        try:
            yield connection
        finally:
            kept.busy = False
            try:
                connection.rollback()
                usable = not connection.invalidated
            except SQLAlchemyError:
                usable = False
            if not usable:
                kept.connection = None
                self._kept_all.discard(connection)
                with suppress(SQLAlchemyError):
                    connection.close()

    def check_ready(self) -> bool:
        """Whether the database can be read and written now: one committed write, harmless
        (the schema version rewritten as itself), so a read-only file, a full disk, a standby
        or an unmigrated database all say no."""
        try:
            with self.session(write=True) as session:
                session.execute(text(READINESS_WRITE))
                return session.execute(text(READINESS_READ)).scalar() is not None
        except SQLAlchemyError:
            return False

    def dispose(self) -> None:
        for connection in list(self._kept_all):
            with suppress(SQLAlchemyError):
                connection.close()
        self._kept_all.clear()
        self._kept = threading.local()
        self.engine.dispose()
        if self.write_lock is not None:
            self.write_lock.close()
