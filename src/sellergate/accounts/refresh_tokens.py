"""Rotating refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2): minting, the claim, reuse detection.

A refresh is, in one transaction: find the token and lock its grant (refused if the grant is
revoked or the app disabled, see :mod:`sellergate.accounts.families`), spend the token with a
conditional UPDATE (of concurrent claims exactly one wins), mint the successor. Each token
records its parent, and a token has at most one child (a unique column), so a family is one
chain.

Presenting a spent token revokes the family, with one exception, the *reuse window*: a client
whose refresh response was lost retries with the same token. If the token was spent less than
``window`` ago and its successor has never been used, the successor (and the access token
issued with it) is spent in its place by a conditional UPDATE, and the retry gets a new pair
as its child. There is still one live chain; the unused successor is dead.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from sellergate.accounts.access_tokens import revoke_access_tokens
from sellergate.accounts.audit import Actor, EventKind, record_event
from sellergate.accounts.clients import public_client_id
from sellergate.accounts.families import lock_family, reuse_detected
from sellergate.errors import InvalidGrant
from sellergate.oauth.records import ClaimedRefreshToken
from sellergate.storage.models import AccessToken, RefreshToken
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, generate, parse
from sellergate.tokens.hashing import token_hash

_INSERT_REFRESH = insert(cast(Table, RefreshToken.__table__))


def mint_refresh_token(
    session: Session,
    *,
    grant_id: int,
    client_pk: int,
    seller_id: int,
    scopes: str,
    staging: bool,
    ttl: timedelta,
    parent_id: int | None = None,
    access_token_id: int | None = None,
    jkt: str | None = None,
) -> str:
    token = generate(TokenKind.REFRESH, staging=staging)
    row = {
        "token_hash": token_hash(token),
        "grant_id": grant_id,
        "client_id": client_pk,
        "seller_id": seller_id,
        "scopes": scopes,
        "staging": staging,
        "expires_at": utcnow() + ttl,
        "parent_id": parent_id,
        "access_token_id": access_token_id,
        "jkt": jkt,
    }
    session.connection().execute(_INSERT_REFRESH, row)
    return token


def _well_formed(token: str, staging: bool) -> bool:
    try:
        parsed = parse(token)
    except MalformedToken:
        return False
    return parsed.kind is TokenKind.REFRESH and parsed.staging == staging


# Statements built once: every refresh runs the first two.
_FIND = select(RefreshToken.id, RefreshToken.client_id, RefreshToken.grant_id).where(
    RefreshToken.token_hash == bindparam("digest")
)
_CLAIMED = (RefreshToken.id, RefreshToken.grant_id, RefreshToken.seller_id, RefreshToken.scopes)
_CLAIM = (
    update(cast(Table, RefreshToken.__table__))
    .where(
        RefreshToken.id == bindparam("token_id"),
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
    .returning(*_CLAIMED)
)
_STATE = select(RefreshToken.used_at, RefreshToken.revoked_at).where(
    RefreshToken.id == bindparam("token_id")
)
# The retry: spend the presented token's unused successor, if it has one.
_CLAIM_SUCCESSOR = (
    update(cast(Table, RefreshToken.__table__))
    .where(
        RefreshToken.parent_id == bindparam("token_id"),
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
    .returning(*_CLAIMED, RefreshToken.access_token_id)
)


def claim_refresh_token(
    session: Session,
    token: str,
    client_pk: int,
    *,
    staging: bool,
    window: timedelta,
    address: str = "",
) -> ClaimedRefreshToken:
    """Spend a refresh token of the app ``client_pk``; :class:`InvalidGrant` if it cannot be.

    A detected reuse revokes the family and is recorded in the security log with ``address``
    (the client's), in this transaction.

    The grant is locked (and checked) before the token is touched: see the lock order in
    :mod:`sellergate.accounts.families`.
    """
    if not _well_formed(token, staging):
        raise InvalidGrant("the refresh token is malformed or for another environment")
    connection = session.connection()
    found = connection.execute(_FIND, {"digest": token_hash(token)}).one_or_none()
    if found is None or found.client_id != client_pk:
        raise InvalidGrant("the refresh token is not valid for this client")
    lock_family(session, found.grant_id)
    now = utcnow()
    parameters = {"token_id": found.id, "now": now}
    row = connection.execute(_CLAIM, parameters).one_or_none()
    if row is not None:
        return ClaimedRefreshToken(*row)
    state = connection.execute(_STATE, {"token_id": found.id}).one()
    if state.used_at is not None:
        if now - state.used_at <= window:
            retried = _claim_unused_successor(session, found.id, now)
            if retried is not None:
                return retried
        revocation = reuse_detected(session, found.grant_id)
        for grant in revocation.grants:
            record_event(
                session,
                EventKind.REFRESH_REUSE,
                actor=Actor.APP,
                seller_id=grant.seller_id,
                client_id=public_client_id(session, grant.client_pk),
                address=address,
                details={"grant_id": grant.grant_id},
            )
        raise InvalidGrant(
            "the refresh token was already used; every token of this authorization is revoked"
        )
    if state.revoked_at is not None:
        raise InvalidGrant("the refresh token was revoked")
    raise InvalidGrant("the refresh token expired; ask the seller to authorize again")


def _claim_unused_successor(
    session: Session, token_id: int, now: datetime
) -> ClaimedRefreshToken | None:
    """The lost-response retry: spend the never-used successor and its access token."""
    row = (
        session.connection()
        .execute(_CLAIM_SUCCESSOR, {"token_id": token_id, "now": now})
        .one_or_none()
    )
    if row is None:
        return None
    successor_id, grant_id, seller_id, scopes, access_token_id = row
    if access_token_id is not None:
        revoke_access_tokens(session, AccessToken.id == access_token_id)
    return ClaimedRefreshToken(successor_id, grant_id, seller_id, scopes)


def refresh_token_scopes(session: Session, token: str, client_pk: int) -> str | None:
    """The scopes of a refresh token of the app ``client_pk``, without spending it."""
    return session.scalars(
        select(RefreshToken.scopes).where(
            RefreshToken.token_hash == token_hash(token), RefreshToken.client_id == client_pk
        )
    ).one_or_none()


def refresh_token_jkt(session: Session, token: str, client_pk: int) -> str | None:
    """The DPoP key a refresh token of the app ``client_pk`` is bound to (RFC 9449 §5), without
    spending it; a row's key never changes, so checking it before the claim is sound."""
    return session.scalars(
        select(RefreshToken.jkt).where(
            RefreshToken.token_hash == token_hash(token), RefreshToken.client_id == client_pk
        )
    ).one_or_none()
