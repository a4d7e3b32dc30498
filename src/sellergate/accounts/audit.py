"""The security log: an append-only record of what happened to sellers' credentials.

:func:`record_event` is the one way in; it takes the caller's SQLAlchemy session, so the event
commits (or rolls back) with the change it describes, and any layer with a session can call it.
``details`` is a small JSON object of plain values. Text in it is recorded with anything that
looks like one of our tokens redacted and cut to a bounded length, so a secret cannot slip in
by mistake, and text that merely mentions a token (a leak report's URL naming a file
``wn_access_tk_notes.md``) never stops the change it describes.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sellergate.storage.database import Database
from sellergate.storage.models import SecurityEvent, Seller
from sellergate.tokens.format import redact_tokens

MAX_PAGE = 200
_ADDRESS_LENGTH = 45
_DETAIL_LENGTH = 200


class EventKind(enum.StrEnum):
    TOKEN_ISSUED = "token.issued"  # noqa: S105 - an event name
    TOKEN_REVEALED = "token.revealed"  # noqa: S105 - an event name
    TOKEN_ROTATED = "token.rotated"  # noqa: S105 - an event name
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 - an event name
    TOKEN_LEAKED = "token.reported_leaked"  # noqa: S105 - an event name
    APP_AUTHORIZED = "app.authorized"
    APP_DISCONNECTED = "app.disconnected"
    CLIENT_DISABLED = "client.disabled"
    CLIENT_SECRET_ROTATED = "client.secret_rotated"  # noqa: S105 - an event name
    REFRESH_REUSE = "refresh.reuse_detected"
    SIGNIN_SUCCEEDED = "signin.succeeded"
    SIGNIN_FAILED = "signin.failed"
    SIGNIN_THROTTLED = "signin.throttled"
    SESSION_ENDED = "session.ended"


class Actor(enum.StrEnum):
    SELLER = "seller"
    APP = "app"
    PLATFORM = "platform"  # the platform team, through the CLI
    SCANNER = "scanner"  # a secret-scanning service's leak report


Detail = str | int | bool | None


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    created_at: datetime
    kind: str
    seller: str | None
    client_id: str | None
    actor: str
    address: str
    details: dict[str, Any]


def _plain(value: Detail) -> Detail:
    if not isinstance(value, str):
        return value
    # Cut before redacting too: a token cut in two must not leave a redactable tail behind.
    value = redact_tokens(value[: _DETAIL_LENGTH * 2])
    return value if len(value) <= _DETAIL_LENGTH else value[: _DETAIL_LENGTH - 1] + "…"


def _checked(details: Mapping[str, Detail]) -> str:
    for key, value in details.items():
        if not isinstance(value, str | int | bool | None):
            raise TypeError(f"security-log detail {key!r} must be a plain value")
    return json.dumps({key: _plain(value) for key, value in details.items()}, sort_keys=True)


def record_event(
    session: Session,
    kind: EventKind,
    *,
    actor: Actor,
    seller_id: int | None = None,
    client_id: str | None = None,
    address: str = "",
    details: Mapping[str, Detail] | None = None,
) -> None:
    """Append one event in the caller's transaction."""
    session.add(
        SecurityEvent(
            kind=kind.value,
            seller_id=seller_id,
            client_id=client_id,
            actor=actor.value,
            address=address[:_ADDRESS_LENGTH],
            details=_checked(details or {}),
        )
    )
    session.flush()


def record_seller_event(
    db: Database,
    kind: EventKind,
    *,
    seller_id: int | None,
    address: str,
    details: Mapping[str, Detail] | None = None,
) -> None:
    """Append one event of a seller's own doing (sign-in, sign-out) in a transaction of its
    own: for what is not a change of its own, or whose change is committed elsewhere."""
    with db.session(write=True) as session:
        record_event(
            session, kind, actor=Actor.SELLER, seller_id=seller_id, address=address, details=details
        )


def list_events(
    session: Session,
    *,
    seller_id: int | None = None,
    since: datetime | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[Event]:
    """Events newest first; ``before_id`` pages on from the last one seen."""
    query = (
        select(SecurityEvent, Seller.username)
        .outerjoin(Seller, Seller.id == SecurityEvent.seller_id)
        .order_by(SecurityEvent.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    if seller_id is not None:
        query = query.where(SecurityEvent.seller_id == seller_id)
    if since is not None:
        query = query.where(SecurityEvent.created_at >= since)
    if before_id is not None:
        query = query.where(SecurityEvent.id < before_id)
    return [
        Event(
            row.id,
            row.created_at,
            row.kind,
            username,
            row.client_id,
            row.actor,
            row.address,
            json.loads(row.details),
        )
        for row, username in session.execute(query)
    ]
