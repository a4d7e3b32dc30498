"""Statements compiled once per dialect and run on the driver's own cursor.

Running a Core statement through a SQLAlchemy ``Connection`` costs tens of microseconds of
bookkeeping (compiled-cache lookup, execution context, events, result object) around a few
microseconds of work in SQLite. For the lookups that start every API, token and introspection
request (the bearer lookup, the client lookup, introspection's token lookups) and for the
statements of a refresh, that bookkeeping was the larger part; a :class:`Prebuilt` statement
keeps the Core definition and its column types' conversions, but skips it. Python-side column
defaults (``default=utcnow``) are SQLAlchemy's bookkeeping too: an INSERT run this way must give
every such column a value.

Nothing is hidden by this: when anything listens to the engine's statements (query logging,
tracing, the tests' statement counters) the select runs through SQLAlchemy as usual, and an
error of the driver goes through SQLAlchemy's own error handling (the ``handle_error`` event
that counts outages and replaces lost connections, and its exception classes, which the web
layer turns into a 503).

A lookup that runs both on a SQLAlchemy connection and on the connection the event loop keeps
for PostgreSQL (:mod:`sellergate.storage.loopreads`) is written once, as :data:`Reads`: a
generator that yields each select it needs (:class:`Read`) and is sent back its rows. Whoever
runs it decides how the statements reach the database; the statements, their conversions and
what the lookup makes of the rows are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Delete, Insert, Select, String, Update, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

Statement = Select[*tuple[Any, ...]] | Insert | Update | Delete
T = TypeVar("T")


class Compiled:
    """A select's SQL text for one dialect, with its parameters' and columns' conversions."""

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        # Positional paramstyles (SQLite's qmark) take the values in this order; named ones
        # (psycopg's pyformat) take the mapping as it is.
        self.positions: list[str] | None = compiled.positiontup
        self.binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.binds[name] = process
        self.results = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            # A select's columns, or what an INSERT, UPDATE or DELETE returns (RETURNING).
            for column in statement.exported_columns
        ]
        # The columns whose values the driver does not hand over as they are (a date stored
        # as text in SQLite, say): only these are converted.
        self.conversions = [
            (index, process) for index, process in enumerate(self.results) if process is not None
        ]

    def arguments(self, parameters: Mapping[str, Any]) -> Any:
        """The values for the driver, converted and in its paramstyle."""
        values = {
            name: self.binds[name](value) if name in self.binds else value
            for name, value in parameters.items()
        }
        return values if self.positions is None else tuple(values[n] for n in self.positions)

    def converted(self, fetched: list[Any]) -> list[tuple[Any, ...]]:
        """The driver's rows with the columns' conversions applied."""
        if not self.conversions:
            return [tuple(row) for row in fetched]
        rows = []
        for row in fetched:
            cells = list(row)
            for index, process in self.conversions:
                cells[index] = process(cells[index])
            rows.append(tuple(cells))
        return rows


class Prebuilt:
    """A statement to run many times: build it once, at import.

    It runs past the ORM, so a session's pending changes are not flushed first: use it for the
    lookups that start a request, and for writes of Core statements only.
    """

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, Compiled] = {}

    def first(
        self, connection: Connection, parameters: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row (selected or returned), converted as SQLAlchemy would, or ``None``.
        It runs in whatever transaction ``connection`` holds (none in autocommit: the statement
        stands alone)."""
        rows, _ = self._run(connection, parameters, every=False)
        return rows[0] if rows else None

    def first_alone(
        self, connection: Connection, parameters: Mapping[str, Any]
    ) -> tuple[tuple[Any, ...] | None, bool]:
        """:meth:`first`, as a transaction of its own if nothing has begun on ``connection``
        yet, and whether it ran so. On PostgreSQL a transaction's BEGIN and COMMIT are round
        trips of their own, each costing about what a lookup costs; a statement that is the
        whole of its transaction's work runs alone (in autocommit) for one round trip instead
        of three. Its effects are then committed when it returns, and no lock it took
        outlives it. Elsewhere, or once the transaction has begun (the driver sent its BEGIN
        with an earlier statement), it runs in the transaction."""
        driver: Any = connection.connection.driver_connection
        if connection.dialect.name != "postgresql":
            return self.first(connection, parameters), False
        if driver.autocommit:
            return self.first(connection, parameters), True
        if driver.info.transaction_status != TransactionStatus.IDLE:
            return self.first(connection, parameters), False
        driver.autocommit = True
        try:
            return self.first(connection, parameters), True
        finally:
            try:
                driver.autocommit = False
            except dialect_error(connection) as lost:
                # Lost with the statement (its own error, already raised, says so): a
                # connection in autocommit must never go back to the pool.
                connection.invalidate(lost)

    def all(self, connection: Connection, parameters: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, converted as SQLAlchemy would (a batched lookup's answers)."""
        return self._run(connection, parameters, every=True)[0]

    def rowcount(self, connection: Connection, parameters: Mapping[str, Any]) -> int:
        """Run a write that returns nothing; the number of rows it changed."""
        return self._run(connection, parameters, every=False)[1]

    def _run(
        self, connection: Connection, parameters: Mapping[str, Any], *, every: bool
    ) -> tuple[list[tuple[Any, ...]], int]:
        if connection.dispatch.before_cursor_execute or connection.engine.echo:
            result = connection.execute(self.statement, parameters)
            if not result.returns_rows:
                return [], result.rowcount
            if every:
                return [tuple(row) for row in result.all()], 0
            row = result.first()
            return ([] if row is None else [tuple(row)]), 0
        compiled = self.compiled(connection.dialect)
        arguments = compiled.arguments(parameters)
        driver: Any = connection.connection.driver_connection
        fetched: list[Any]
        try:
            cursor = driver.cursor()
            try:
                cursor.execute(compiled.sql, arguments)
                if not compiled.results:
                    fetched = []
                elif every:
                    fetched = cursor.fetchall()
                else:
                    row = cursor.fetchone()
                    fetched = [] if row is None else [row]
                count = cursor.rowcount
            finally:
                cursor.close()
        except dialect_error(connection) as error:
            # SQLAlchemy's own handling: the handle_error event, the invalidation of a lost
            # connection, the exception classes the web layer answers with a 503. A private
            # method (running the statement again through a public one could meet an aborted
            # transaction instead of the error itself): SQLAlchemy is pinned below 2.2 and
            # tests/test_prebuilt.py fails when an upgrade changes it.
            connection._handle_dbapi_exception(error, compiled.sql, arguments, None, None)
        return compiled.converted(fetched), count

    def compiled(self, dialect: Dialect) -> Compiled:
        """The statement compiled for ``dialect`` (once)."""
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = Compiled(self.statement, dialect)
        return compiled

    def read(self, parameters: Mapping[str, Any]) -> Read:
        """This select with ``parameters``, as a step of a lookup written as :data:`Reads`."""
        return Read(lambda connection: self.all(connection, parameters), self, parameters)


def dialect_error(connection: Connection) -> type[Exception]:
    """The base class of the errors of ``connection``'s driver."""
    error: type[Exception] = connection.dialect.loaded_dbapi.Error
    return error


class PrebuiltAny:
    """A select of the rows whose ``column`` is any of several strings (a batch of lookups).
    PostgreSQL takes them as one array parameter, so the statement's text is the same whatever
    their number (one prepared statement), and it is prebuilt; elsewhere an ``IN`` list."""

    def __init__(
        self,
        statement: Select[*tuple[Any, ...]],
        column: ColumnElement[str] | InstrumentedAttribute[str],
    ) -> None:
        self._any = Prebuilt(
            statement.where(column == any_(bindparam("values", type_=ARRAY(String))))
        )
        self._in = statement.where(column.in_(bindparam("values", expanding=True)))

    def all(self, connection: Connection, values: list[str]) -> list[tuple[Any, ...]]:
        if connection.dialect.name == "postgresql":
            return self._any.all(connection, {"values": values})
        return [tuple(row) for row in connection.execute(self._in, {"values": values})]

    def read(self, values: list[str]) -> Read:
        """This select for ``values``, as a step of a lookup written as :data:`Reads`."""
        return Read(lambda connection: self.all(connection, values), self._any, {"values": values})


@dataclass(frozen=True, slots=True)
class Read:
    """One select a lookup asks for, to be run by whoever runs the lookup: on a SQLAlchemy
    connection (``on``, any database), or as ``prebuilt`` with ``parameters`` on PostgreSQL's
    asynchronous driver (:mod:`sellergate.storage.loopreads`)."""

    on: Callable[[Connection], list[tuple[Any, ...]]]
    prebuilt: Prebuilt
    parameters: Mapping[str, Any]


# A lookup written once for both ways of reaching the database: a generator that yields each
# :class:`Read` it needs, is sent back its rows, and returns its answer.
Reads = Generator[Read, list[tuple[Any, ...]], T]


def run_reads(connection: Connection, reads: Reads[T]) -> T:
    """Run a lookup's reads on ``connection``, one after the other; its answer."""
    try:
        read = next(reads)
        while True:
            read = reads.send(read.on(connection))
    except StopIteration as done:
        answer: T = done.value
        return answer
