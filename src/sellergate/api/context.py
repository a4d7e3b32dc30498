"""What every resolver receives: who is calling and a database session for this request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from strawberry.types import Info

from sellergate.accounts.bearer import AuthContext
from sellergate.config import Settings


@dataclass
class ApiContext:
    auth: AuthContext
    session: Session
    settings: Settings
    cache: dict[Any, Any] = field(default_factory=dict)


ApiInfo = Info[ApiContext, None]
