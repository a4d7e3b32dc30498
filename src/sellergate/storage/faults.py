"""Database faults: which errors mean "the database cannot answer", and the outage log.

A fault is a connectivity, disk or permission problem (the server is down or restarting, the
file is read-only or the disk is full), not a bug in a statement. Callers answer it with 503;
:class:`OutageLog` turns a stream of such failures into three kinds of log line instead of a
traceback per request::

    database unavailable (OperationalError: ...)         once, when the first failure is seen
    database still unavailable: 385 failures in 10.0 s   at most every ``report_every`` seconds
    database available again after 4.1 s (412 failures) once, at the first success that comes
                                                          ``SETTLE_SECONDS`` after the last failure

The log is shared by every thread of the process, so its state changes under one lock; the
success path only reads a flag while nothing is wrong. A database that can be read but not
written (a read-only file, a full disk) stays "unavailable" until a write succeeds: successful
reads in between would otherwise end and restart the outage on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import exc as sa

log = logging.getLogger("sellergate.database")

# SQLite reports a file it cannot write, a full disk or an unreadable file with these texts;
# the connection that saw them must be replaced once the cause is fixed.
SQLITE_FAULTS = (
    "attempt to write a readonly database",
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
)


def is_unwritable(error: BaseException) -> bool:
    """Whether ``error`` says the database can be read but not written."""
    text = str(getattr(error, "orig", None) or error).lower()
    return any(fault in text for fault in SQLITE_FAULTS[:2]) or "read-only transaction" in text


# PostgreSQL SQLSTATE classes of the same kind: connection exceptions, insufficient resources
# (disk full, out of memory, too many connections), operator intervention (shutdown, restart)
# and a read-only transaction (a standby, or default_transaction_read_only).
PG_FAULT_STATES = ("08", "53", "57P", "25006")


def is_fault(error: BaseException) -> bool:
    """Whether ``error`` means the database is unavailable (answer 503), not a bug (500)."""
    if isinstance(error, sa.OperationalError | sa.InterfaceError):
        return True
    if not isinstance(error, sa.DBAPIError):
        return False
    state = getattr(error.orig, "sqlstate", None) or ""
    return error.connection_invalidated or state.startswith(PG_FAULT_STATES)


def _summary(error: BaseException) -> str:
    """One line naming the cause: the driver's first line, never the statement or parameters."""
    original = getattr(error, "orig", None) or error
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return f"{type(original).__name__}: {first_line}"[:200]


def is_nul_in_text(error: BaseException) -> bool:
    """Whether PostgreSQL refused a NUL character in a text parameter: bad input that slipped
    past validation (SQLite just finds no match), not a fault."""
    return isinstance(error, sa.DataError) and "NUL (0x00)" in str(error.orig)


# How long after the last failure a success must come to end an outage (see OutageLog).
SETTLE_SECONDS = 0.5


class OutageLog:
    """``settle``: an outage ends at the first success that comes at least this long after the
    last failure. A server shutting down still answers on the connections it has not cut yet,
    so successes arrive amid the failures for a moment; ending the outage on each of them would
    log one outage as several."""

    def __init__(
        self,
        report_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        settle: float = SETTLE_SECONDS,
    ) -> None:
        self.report_every = report_every
        self.clock = clock
        self.settle = settle
        self._lock = threading.Lock()
        self._down = False
        self._unwritable = False
        self._since = 0.0
        self._failures = 0
        self._last_failure = 0.0
        self._reported_at = 0.0
        self._reported_failures = 0

    @property
    def down(self) -> bool:
        return self._down

    def failed(self, error: BaseException) -> None:
        now = self.clock()
        with self._lock:
            self._last_failure = now
            if not self._down:
                self._down = True
                self._unwritable = is_unwritable(error)
                self._since = self._reported_at = now
                self._failures = 1
                self._reported_failures = 0
                log.error("database unavailable (%s)", _summary(error))
                return
            self._failures += 1
            if now - self._reported_at >= self.report_every:
                log.warning(
                    "database still unavailable: %d failures in %.1f s",
                    self._failures - self._reported_failures,
                    now - self._reported_at,
                )
                self._reported_at = now
                self._reported_failures = self._failures

    def succeeded(self, *, wrote: bool) -> None:
        """A transaction committed; ``wrote`` says whether it held the write lock."""
        if not self._down:  # the common case: no lock taken
            return
        now = self.clock()
        with self._lock:
            if not self._down or (self._unwritable and not wrote):
                return
            if now - self._last_failure < self.settle:
                return
            self._down = False
            log.warning(
                "database available again after %.1f s (%d failures)",
                now - self._since,
                self._failures,
            )
