"""What every resolver receives: who is calling and the database, for this request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from strawberry.types import Info

from sellergate.accounts.bearer import AuthContext
from sellergate.config import Settings
from sellergate.storage.handles import DatabaseHandle


class ApiContext(DatabaseHandle):
    """Who is calling, the settings, a per-request cache, and the database (a session, or a
    connection with a session made only if a resolver asks: see :class:`DatabaseHandle`)."""

    __slots__ = ("auth", "cache", "settings")

    def __init__(
        self,
        auth: AuthContext,
        settings: Settings,
        *,
        session: Session | None = None,
        connection: Connection | None = None,
        offline: bool = False,
    ) -> None:
        super().__init__(session=session, connection=connection, offline=offline)
        self.auth = auth
        self.settings = settings
        self.cache: dict[Any, Any] = {}


ApiInfo = Info[ApiContext, None]
