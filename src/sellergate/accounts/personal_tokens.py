"""Personal API tokens (scope ``full_access``): issue, list, rotate, revoke.

A token is never shown by these functions' callers: it goes into a secure link, and only the
link is handed out. Rotation is the answer to a leak: a new token through a new link, the old
one dead at once or at the end of a grace period.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sellergate.accounts.access_tokens import mint_access_token, revoke_access_tokens
from sellergate.accounts.secure_links import IssuedLink, create_link
from sellergate.accounts.sellers import get_seller
from sellergate.config import Settings
from sellergate.errors import InvalidInput, NotFound
from sellergate.scopes import Scope
from sellergate.storage.models import AccessToken, Seller
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind

MAX_LABEL = 100


def check_label(label: str) -> None:
    """A token's label is a name a person gives it: printable text, and never anything that
    looks like a secret (a token prefix: a label is shown, logged and sent to scanners' lookups
    as plain text, where a token-like string would be redacted, refused or mistaken for a
    leak). Raises :class:`InvalidInput` naming the field; nothing is changed."""
    if len(label) > MAX_LABEL:
        raise InvalidInput(f"label is longer than {MAX_LABEL} characters", field="label")
    if not label.isprintable() or any("\ud800" <= char <= "\udfff" for char in label):
        raise InvalidInput("label must be printable text", field="label")
    lowered = label.lower()
    if any(kind.value in lowered for kind in TokenKind):
        raise InvalidInput(
            "label must not contain a token prefix such as wn_access_tk_: name where the token "
            "is used instead",
            field="label",
        )


MAX_LIFETIME = timedelta(days=3650)
PURPOSE = "personal_token"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token_id: int
    link: IssuedLink


def issue_token(
    session: Session,
    settings: Settings,
    username: str,
    *,
    expires_in: timedelta | None = None,
    label: str = "",
) -> IssuedToken:
    seller = get_seller(session, username)
    return _issue(session, settings, seller.id, username, expires_in=expires_in, label=label)


def _issue(
    session: Session,
    settings: Settings,
    seller_id: int,
    username: str,
    *,
    expires_in: timedelta | None,
    label: str,
) -> IssuedToken:
    check_label(label)
    if expires_in is not None and not timedelta(0) < expires_in <= MAX_LIFETIME:
        raise InvalidInput("expiry must be between 1 second and 10 years", field="expires_in")
    minted = mint_access_token(
        session.connection(),
        seller_id=seller_id,
        scopes=[Scope.FULL_ACCESS],
        staging=not settings.production,
        expires_at=utcnow() + expires_in if expires_in else None,
        label=label,
    )
    link = create_link(
        session,
        minted.token,
        purpose=PURPOSE,
        subject=f"personal API token for {username}" + (f" ({label})" if label else ""),
        ttl=settings.secure_link_ttl,
    )
    return IssuedToken(minted.token_id, link)


# A token this close to its expiry is shown as expiring, so the seller rotates it in time.
EXPIRING_WITHIN = timedelta(days=7)


class TokenStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRING = "expiring"  # within EXPIRING_WITHIN of its expiry
    REPLACED = "replaced"  # rotated with a grace period: works until the grace ends
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class PersonalToken:
    """A personal token as its seller and the platform team see it: never its secret."""

    id: int
    label: str
    last_four: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    status: TokenStatus


def token_status(row: AccessToken, now: datetime) -> TokenStatus:
    """The one rule for a personal token's state, for the dashboard and the CLI alike."""
    if row.revoked_at is not None:
        return TokenStatus.REVOKED
    if row.expires_at is not None and row.expires_at <= now:
        return TokenStatus.EXPIRED
    if row.replaced_by_id is not None:
        return TokenStatus.REPLACED
    if row.expires_at is not None and row.expires_at - now <= EXPIRING_WITHIN:
        return TokenStatus.EXPIRING
    return TokenStatus.ACTIVE


def list_tokens(session: Session, seller_id: int) -> list[PersonalToken]:
    """A seller's personal tokens, oldest first."""
    query = (
        select(AccessToken)
        .where(AccessToken.seller_id == seller_id, AccessToken.grant_id.is_(None))
        .order_by(AccessToken.id)
    )
    now = utcnow()
    return [
        PersonalToken(
            row.id,
            row.label,
            row.last_four,
            row.created_at,
            row.last_used_at,
            row.expires_at,
            row.revoked_at,
            token_status(row, now),
        )
        for row in session.scalars(query)
    ]


def get_personal_token(
    session: Session, token_id: int, seller_id: int | None = None
) -> AccessToken:
    row = session.get(AccessToken, token_id)
    if (
        row is None
        or row.grant_id is not None
        or (seller_id is not None and row.seller_id != seller_id)
    ):
        raise NotFound(f"no personal token with id {token_id}")
    return row


def rotate_token(
    session: Session,
    settings: Settings,
    token_id: int,
    *,
    grace: timedelta = timedelta(0),
    seller_id: int | None = None,
) -> IssuedToken:
    old = get_personal_token(session, token_id, seller_id)
    now = utcnow()
    if old.revoked_at is not None or (old.expires_at is not None and old.expires_at <= now):
        raise InvalidInput(f"token {token_id} is no longer active; issue a new one instead")
    if old.replaced_by_id is not None:
        # One live replacement at a time: a second one would leave the first live and unknown.
        raise InvalidInput(
            f"token {token_id} was already replaced by token {old.replaced_by_id} and stays "
            "valid only until its grace period ends; rotate that token instead, or revoke "
            f"token {token_id} to end the grace period now"
        )
    if grace < timedelta(0) or grace > timedelta(days=30):
        raise InvalidInput("grace must be between 0 and 30 days", field="grace")
    lifetime = old.expires_at - old.created_at if old.expires_at else None
    seller = session.get(Seller, old.seller_id)
    assert seller is not None
    new = _issue(
        session, settings, old.seller_id, seller.username, expires_in=lifetime, label=old.label
    )
    old.replaced_by_id = new.token_id
    if grace:
        ends = now + grace
        old.expires_at = min(old.expires_at, ends) if old.expires_at else ends
    else:
        old.revoked_at = now
    session.flush()
    return new


def replacement_of(session: Session, token_id: int) -> int | None:
    """The token that replaced a personal token still in its grace period, if any."""
    return session.scalar(select(AccessToken.replaced_by_id).where(AccessToken.id == token_id))


def revoke_token(session: Session, token_id: int, seller_id: int | None = None) -> datetime:
    row = get_personal_token(session, token_id, seller_id)
    if row.revoked_at is None:
        revoke_access_tokens(session, AccessToken.id == row.id)
        session.refresh(row)
    assert row.revoked_at is not None
    return row.revoked_at
