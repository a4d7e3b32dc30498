"""Server-side sessions of signed-in sellers.

The browser holds an opaque random id (256 bits); the database keeps only its SHA-256, so a copy
of the table opens no session. A session ends when the seller signs out (the row is deleted, so
a copied cookie is dead at once), after ``session_idle`` without a request, or at
``session_lifetime`` after sign-in, whichever comes first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sellergate.config import Settings
from sellergate.storage.models import Seller, WebSession
from sellergate.storage.types import utcnow
from sellergate.tokens.hashing import token_hash

# Last-seen times are written at most this often per session, not on every page.
TOUCH_EVERY = timedelta(minutes=1)
MAX_USER_AGENT = 200


@dataclass(frozen=True, slots=True)
class ActiveSession:
    id: int
    seller_id: int
    username: str
    flash: str | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    address: str


def start_session(
    session: Session,
    settings: Settings,
    seller_id: int,
    *,
    user_agent: str,
    address: str,
    replacing: str | None = None,
) -> str:
    """A new session for ``seller_id``; the raw id is returned once, for the cookie.

    ``replacing`` (the id the browser had before) is deleted: the id always changes at sign-in,
    so an id planted before it (session fixation) is worth nothing.
    """
    if replacing:
        end_session(session, replacing)
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    ends_at = now + settings.session_lifetime
    session.add(
        WebSession(
            id_hash=token_hash(raw),
            seller_id=seller_id,
            created_at=now,
            last_seen_at=now,
            expires_at=min(ends_at, now + settings.session_idle),
            ends_at=ends_at,
            user_agent=user_agent[:MAX_USER_AGENT],
            address=address[:45],
        )
    )
    session.flush()
    return raw


def load_session(session: Session, settings: Settings, raw: str) -> ActiveSession | None:
    """The live session behind ``raw``, touched and with its flash message taken; else None.

    Needs a writing transaction: it deletes an expired row and moves the idle deadline.
    """
    found = session.execute(
        select(WebSession, Seller.username)
        .join(Seller, Seller.id == WebSession.seller_id)
        .where(WebSession.id_hash == token_hash(raw))
    ).one_or_none()
    if found is None:
        return None
    row, username = found
    now = utcnow()
    if row.expires_at <= now:
        session.delete(row)
        return None
    flash = row.flash
    if flash is not None or now - row.last_seen_at >= TOUCH_EVERY:
        row.flash = None
        row.last_seen_at = now
        row.expires_at = min(row.ends_at, now + settings.session_idle)
    return ActiveSession(row.id, row.seller_id, username, flash)


def set_flash(session: Session, session_id: int, message: str) -> None:
    """A message shown once, on the session's next page."""
    session.execute(update(WebSession).where(WebSession.id == session_id).values(flash=message))


def end_session(session: Session, raw: str) -> int | None:
    """Delete the session behind ``raw``; the seller it belonged to, if any."""
    return session.execute(
        delete(WebSession)
        .where(WebSession.id_hash == token_hash(raw))
        .returning(WebSession.seller_id)
    ).scalar_one_or_none()


def end_other_sessions(session: Session, seller_id: int, keep_id: int) -> int:
    """Sign the seller out everywhere but the session ``keep_id``; how many ended."""
    ended = session.execute(
        delete(WebSession)
        .where(WebSession.seller_id == seller_id, WebSession.id != keep_id)
        .returning(WebSession.id)
    ).all()
    return len(ended)


def list_sessions(session: Session, seller_id: int) -> list[SessionRow]:
    """The seller's live sessions, most recently seen first."""
    rows = session.scalars(
        select(WebSession)
        .where(WebSession.seller_id == seller_id, WebSession.expires_at > utcnow())
        .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
    )
    return [
        SessionRow(row.id, row.created_at, row.last_seen_at, row.user_agent, row.address)
        for row in rows
    ]
