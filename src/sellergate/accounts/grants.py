"""Grants and their one-time credentials: authorization codes and rotating refresh tokens.

A *grant* is one seller's authorization of one app; every access and refresh token issued from
it belongs to its family. One-time things are claimed with a single conditional UPDATE ...
RETURNING, so of any number of concurrent claims exactly one wins, on SQLite and PostgreSQL
alike. Presenting a spent code or refresh token revokes the family (RFC 6749 §4.1.2 and §10.4,
RFC 9700 §4.14.2) with one bulk UPDATE per table, never row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from sellergate.accounts.access_tokens import revoke_access_tokens
from sellergate.errors import InvalidGrant
from sellergate.storage.models import AccessToken, AuthorizationCode, Grant, RefreshToken, Seller
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, generate, parse
from sellergate.tokens.hashing import token_hash


@dataclass(frozen=True, slots=True)
class ClaimedCode:
    id: int
    seller_id: int
    redirect_uri: str
    scopes: str
    code_challenge: str | None
    code_challenge_method: str | None


@dataclass(frozen=True, slots=True)
class ClaimedRefreshToken:
    id: int
    grant_id: int
    seller_id: int
    scopes: str


def save_code(
    session: Session,
    code: str,
    *,
    client_pk: int,
    seller_id: int,
    redirect_uri: str,
    scopes: str,
    code_challenge: str | None,
    code_challenge_method: str | None,
    ttl: timedelta,
) -> None:
    session.add(
        AuthorizationCode(
            code_hash=token_hash(code),
            client_id=client_pk,
            seller_id=seller_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=utcnow() + ttl,
        )
    )
    session.flush()


def claim_code(session: Session, code: str, client_pk: int) -> ClaimedCode:
    """Spend ``code`` for the app ``client_pk``; raise :class:`InvalidGrant` if it cannot be.

    A second use revokes every token issued from the code (RFC 6749 §4.1.2).
    """
    digest = token_hash(code)
    now = utcnow()
    row = session.execute(
        update(AuthorizationCode)
        .where(
            AuthorizationCode.code_hash == digest,
            AuthorizationCode.client_id == client_pk,
            AuthorizationCode.used_at.is_(None),
            AuthorizationCode.expires_at > now,
        )
        .values(used_at=now)
        .returning(
            AuthorizationCode.id,
            AuthorizationCode.seller_id,
            AuthorizationCode.redirect_uri,
            AuthorizationCode.scopes,
            AuthorizationCode.code_challenge,
            AuthorizationCode.code_challenge_method,
        )
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is not None:
        return ClaimedCode(*row)
    found = session.execute(
        select(
            AuthorizationCode.client_id, AuthorizationCode.used_at, AuthorizationCode.grant_id
        ).where(AuthorizationCode.code_hash == digest)
    ).one_or_none()
    if found is None or found.client_id != client_pk:
        raise InvalidGrant("the authorization code is not valid for this client")
    if found.used_at is not None:
        if found.grant_id is not None:
            revoke_grant(session, found.grant_id)
        raise InvalidGrant(
            "the authorization code was already used; tokens issued from it are revoked"
        )
    raise InvalidGrant("the authorization code expired; start the authorization again")


def create_grant(session: Session, *, seller_id: int, client_pk: int, scopes: str) -> int:
    grant = Grant(seller_id=seller_id, client_id=client_pk, scopes=scopes)
    session.add(grant)
    session.flush()
    return grant.id


def bind_code(session: Session, code_id: int, grant_id: int) -> None:
    """Remember which grant a code produced, so that its reuse can revoke it."""
    session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code_id)
        .values(grant_id=grant_id)
        .execution_options(synchronize_session=False)
    )


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
    }
    session.connection().execute(_INSERT_REFRESH, row)
    return token


def _well_formed(token: str, kind: TokenKind, staging: bool) -> bool:
    try:
        parsed = parse(token)
    except MalformedToken:
        return False
    return parsed.kind is kind and parsed.staging == staging


# The one-time claim: a conditional UPDATE, so that of concurrent claims exactly one wins.
_CLAIM_REFRESH = (
    update(cast(Table, RefreshToken.__table__))
    .where(
        RefreshToken.token_hash == bindparam("digest"),
        RefreshToken.client_id == bindparam("client_pk"),
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("now"))
    .returning(RefreshToken.id, RefreshToken.grant_id, RefreshToken.seller_id, RefreshToken.scopes)
)


def claim_refresh_token(
    session: Session, token: str, client_pk: int, *, staging: bool, grace: timedelta
) -> ClaimedRefreshToken:
    """Spend a refresh token (RFC 6749 §6, rotation per RFC 9700 §4.14.2).

    Presenting a spent token revokes its whole grant. ``grace`` only softens that for a
    duplicate arriving within ``grace`` of the spend (two tabs refreshing at once): it is
    refused without revoking. No spent token ever yields new tokens, inside the window or out.
    """
    if not _well_formed(token, TokenKind.REFRESH, staging):
        raise InvalidGrant("the refresh token is malformed or for another environment")
    digest = token_hash(token)
    now = utcnow()
    row = (
        session.connection()
        .execute(_CLAIM_REFRESH, {"digest": digest, "client_pk": client_pk, "now": now})
        .one_or_none()
    )
    if row is not None:
        return ClaimedRefreshToken(*row)
    found = session.execute(
        select(
            RefreshToken.client_id,
            RefreshToken.grant_id,
            RefreshToken.used_at,
            RefreshToken.revoked_at,
        ).where(RefreshToken.token_hash == digest)
    ).one_or_none()
    if found is None or found.client_id != client_pk:
        raise InvalidGrant("the refresh token is not valid for this client")
    if found.revoked_at is not None:
        raise InvalidGrant("the refresh token was revoked")
    if found.used_at is not None:
        if grace and now - found.used_at <= grace:
            raise InvalidGrant("the refresh token was just used by another request")
        revoke_grant(session, found.grant_id)
        raise InvalidGrant(
            "the refresh token was already used; every token of this authorization is revoked"
        )
    raise InvalidGrant("the refresh token expired; ask the seller to authorize again")


def refresh_token_scopes(session: Session, token: str, client_pk: int) -> str | None:
    """The scopes of a refresh token of the app ``client_pk``, without spending it."""
    return session.scalars(
        select(RefreshToken.scopes).where(
            RefreshToken.token_hash == token_hash(token), RefreshToken.client_id == client_pk
        )
    ).one_or_none()


def revoke_grant(session: Session, grant_id: int) -> None:
    """Revoke a grant and every access and refresh token of it: one UPDATE per table.

    The grant row is updated first and always (even if already revoked), so that concurrent
    revocations of one family queue on that row lock instead of deadlocking over its tokens.
    """
    now = utcnow()
    session.execute(
        update(Grant)
        .where(Grant.id == grant_id)
        .values(revoked_at=func.coalesce(Grant.revoked_at, now))
        .execution_options(synchronize_session=False)
    )
    revoke_access_tokens(session, AccessToken.grant_id == grant_id)
    # Spent refresh tokens are dead already and are left alone: concurrent requests presenting
    # a spent token queue on its row, and touching it here would close a lock cycle with them.
    session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.grant_id == grant_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.used_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What introspection (RFC 7662 §2.2) tells an app about one of its tokens."""

    kind: TokenKind
    active: bool
    scopes: str
    seller_id: int
    username: str
    grant_id: int
    issued_at: datetime
    expires_at: datetime | None


# Introspection's lookups, built once (it is called at high rates by resource servers).
_ACCESS_OF_CLIENT = (
    select(
        AccessToken.scopes,
        AccessToken.seller_id,
        AccessToken.grant_id,
        AccessToken.created_at,
        AccessToken.expires_at,
        AccessToken.revoked_at,
        Seller.username,
    )
    .join(Seller, Seller.id == AccessToken.seller_id)
    .where(
        AccessToken.token_hash == bindparam("digest"),
        AccessToken.client_id == bindparam("client_pk"),
    )
)
_REFRESH_OF_CLIENT = (
    select(
        RefreshToken.scopes,
        RefreshToken.seller_id,
        RefreshToken.grant_id,
        RefreshToken.created_at,
        RefreshToken.expires_at,
        RefreshToken.used_at,
        RefreshToken.revoked_at,
        Seller.username,
    )
    .join(Seller, Seller.id == RefreshToken.seller_id)
    .where(
        RefreshToken.token_hash == bindparam("digest"),
        RefreshToken.client_id == bindparam("client_pk"),
    )
)


def find_client_token(
    session: Session, token: str, client_pk: int, *, staging: bool
) -> TokenInfo | None:
    """The access or refresh token ``token`` if it was issued to the app ``client_pk``.

    The prefix says which table to look in, so this is one indexed SELECT; personal tokens and
    other apps' tokens are never returned.
    """
    try:
        parsed = parse(token)
    except MalformedToken:
        return None
    if parsed.staging != staging or parsed.kind is TokenKind.CLIENT_SECRET:
        return None
    parameters = {"digest": token_hash(token), "client_pk": client_pk}
    now = utcnow()
    if parsed.kind is TokenKind.ACCESS:
        access = session.execute(_ACCESS_OF_CLIENT, parameters).one_or_none()
        if access is None or access.grant_id is None:
            return None
        active = access.revoked_at is None and (
            access.expires_at is None or access.expires_at > now
        )
        return TokenInfo(
            parsed.kind,
            active,
            access.scopes,
            access.seller_id,
            access.username,
            access.grant_id,
            access.created_at,
            access.expires_at,
        )
    refresh = session.execute(_REFRESH_OF_CLIENT, parameters).one_or_none()
    if refresh is None:
        return None
    active = refresh.revoked_at is None and refresh.used_at is None and refresh.expires_at > now
    return TokenInfo(
        parsed.kind,
        active,
        refresh.scopes,
        refresh.seller_id,
        refresh.username,
        refresh.grant_id,
        refresh.created_at,
        refresh.expires_at,
    )


def revoke_client_token(session: Session, info: TokenInfo, token: str) -> None:
    """RFC 7009 §2.1: an access token alone; a refresh token takes its whole grant with it."""
    if info.kind is TokenKind.REFRESH:
        revoke_grant(session, info.grant_id)
    else:
        revoke_access_tokens(session, AccessToken.token_hash == token_hash(token))
