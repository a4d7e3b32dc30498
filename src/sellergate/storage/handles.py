"""A request's way into the database: an ORM session, or a connection with one made on demand."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy.orm import Session


class NoDatabase(RuntimeError):
    """Work planned to need no database asked for it (the caller may run it again with one)."""


class DatabaseHandle:
    """Give either the request's ``session`` or the ``connection`` it holds.

    Over a connection the ORM session is made the first time something asks for it: reads that
    run on Core statements (the bearer check, introspection, ``me``) never do, and a session
    costs more to set up than their SQL. The session joins the connection's transaction, if
    any, and never ends it: whoever opened the connection does. ``offline`` work (planned to
    need no database) gets neither, and asking for one is an error.
    """

    __slots__ = ("_connection", "_opener", "_session")

    def __init__(
        self,
        *,
        session: Session | None = None,
        connection: Connection | None = None,
        offline: bool = False,
        opener: Callable[[], Connection] | None = None,
    ) -> None:
        given = (session is not None) + (connection is not None) + (opener is not None)
        if given != (0 if offline else 1):
            raise ValueError(
                "give either a session, a connection or its opener, or none when offline"
            )
        self._session = session
        self._connection = connection
        # A connection opened when first needed (Database.transaction_on_demand).
        self._opener = opener

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = Session(bind=self._needed(), expire_on_commit=False)
        return self._session

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            if self._opener is not None:
                return self._needed()
            self._connection = self.session.connection()
        return self._connection

    def flush(self) -> None:
        """Write what the ORM session made over the connection holds, if one was made, into
        the connection's transaction: before whoever opened the connection commits it."""
        if self._session is not None and self._connection is not None:
            self._session.flush()

    def _needed(self) -> Connection:
        if self._connection is None and self._opener is not None:
            self._connection = self._opener()
        if self._connection is None:
            # Offline work was planned to need no database (``api.offline``): a bug, not a 503.
            raise NoDatabase("this work was planned to need no database")
        return self._connection
