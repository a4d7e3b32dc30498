"""Selects compiled once per dialect and run on the driver's own cursor.

Running a Core statement through a SQLAlchemy ``Connection`` costs tens of microseconds of
bookkeeping (compiled-cache lookup, execution context, events, result object) around a few
microseconds of work in SQLite. For the lookups that start every API, token and introspection
request (the bearer lookup, the client lookup, introspection's token lookups) that bookkeeping
was the larger part; a :class:`Prebuilt` select keeps the Core definition and its column types'
conversions, but skips it.

Nothing is hidden by this: when anything listens to the engine's statements (query logging,
tracing, the tests' statement counters) the select runs through SQLAlchemy as usual, and an
error of the driver goes through SQLAlchemy's own error handling (the ``handle_error`` event
that counts outages and replaces lost connections, and its exception classes, which the web
layer turns into a 503).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect


class _Compiled:
    """A select's SQL text for one dialect, with its parameters' and columns' conversions."""

    def __init__(self, statement: Select[*tuple[Any, ...]], dialect: Dialect) -> None:
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
            for column in statement.selected_columns
        ]


class Prebuilt:
    """A select to run many times: build it once, at import.

    It reads past the ORM, so a session's pending changes are not flushed first: use it for the
    lookups that start a request, before anything is written.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def first(
        self, connection: Connection, parameters: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The first row, converted as SQLAlchemy would, or ``None``. It runs in whatever
        transaction ``connection`` holds (none in autocommit: the statement stands alone)."""
        if connection.dispatch.before_cursor_execute or connection.engine.echo:
            row = connection.execute(self.statement, parameters).first()
            return None if row is None else tuple(row)
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        values = {
            name: compiled.binds[name](value) if name in compiled.binds else value
            for name, value in parameters.items()
        }
        arguments: Any = (
            values
            if compiled.positions is None
            else tuple(values[name] for name in compiled.positions)
        )
        driver: Any = connection.connection.driver_connection
        try:
            cursor = driver.cursor()
            try:
                cursor.execute(compiled.sql, arguments)
                row = cursor.fetchone()
            finally:
                cursor.close()
        except dialect.loaded_dbapi.Error as error:
            # SQLAlchemy's own handling: the handle_error event, the invalidation of a lost
            # connection, the exception classes the web layer answers with a 503. A private
            # method (running the statement again through a public one could meet an aborted
            # transaction instead of the error itself): SQLAlchemy is pinned below 2.2 and
            # tests/test_prebuilt.py fails when an upgrade changes it.
            connection._handle_dbapi_exception(error, compiled.sql, arguments, None, None)
        if row is None:
            return None
        return tuple(
            value if process is None else process(value)
            for process, value in zip(compiled.results, row, strict=True)
        )
