"""What every resolver receives: who is calling and the database, for this request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from strawberry.types import Info

from sellergate.accounts.bearer import AuthContext
from sellergate.config import Settings


class ApiContext:
    """Give either the request's ``session`` or the ``connection`` it holds. Over a connection
    the ORM session is made the first time a resolver asks for it: many operations (``me``)
    never do, and a session costs more to set up than their SQL."""

    __slots__ = ("_session", "auth", "cache", "connection", "settings")

    def __init__(
        self,
        auth: AuthContext,
        settings: Settings,
        *,
        session: Session | None = None,
        connection: Connection | None = None,
    ) -> None:
        if (session is None) == (connection is None):
            raise ValueError("give either a session or a connection")
        self.auth = auth
        self.settings = settings
        self._session = session
        self.connection = connection
        self.cache: dict[Any, Any] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            # Joins the connection's transaction, if any, and never ends it: the caller does.
            self._session = Session(bind=self.connection, expire_on_commit=False)
        return self._session


ApiInfo = Info[ApiContext, None]
