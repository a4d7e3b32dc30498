"""An app's own tokens, as introspection (RFC 7662) and revocation (RFC 7009) find them.

The statement that finds a token also joins its grant and its app, so a token of a revoked
grant or a disabled app is inactive whatever its own row says (see
:mod:`sellergate.accounts.families`).
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from sellergate.oauth.records import TokenInfo
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken, Seller
from sellergate.storage.prebuilt import Prebuilt
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, parse
from sellergate.tokens.hashing import token_hash

# Prebuilt (see :mod:`sellergate.storage.prebuilt`): resource servers call introspection at
# high rates. Inner joins: an app's token always has a grant and an app; the grant and app
# states are read in the same statement.
_ACCESS_OF_CLIENT = Prebuilt(
    select(
        AccessToken.scopes,
        AccessToken.seller_id,
        AccessToken.grant_id,
        AccessToken.created_at,
        AccessToken.expires_at,
        AccessToken.revoked_at,
        Seller.username,
        Grant.revoked_at.is_not(None),
        Client.disabled_at.is_not(None),
    )
    .join(Seller, Seller.id == AccessToken.seller_id)
    .join(Grant, Grant.id == AccessToken.grant_id)
    .join(Client, Client.id == AccessToken.client_id)
    .where(
        AccessToken.token_hash == bindparam("digest"),
        AccessToken.client_id == bindparam("client_pk"),
    )
)
_REFRESH_OF_CLIENT = Prebuilt(
    select(
        RefreshToken.scopes,
        RefreshToken.seller_id,
        RefreshToken.grant_id,
        RefreshToken.created_at,
        RefreshToken.expires_at,
        RefreshToken.used_at,
        RefreshToken.revoked_at,
        Seller.username,
        Grant.revoked_at.is_not(None),
        Client.disabled_at.is_not(None),
    )
    .join(Seller, Seller.id == RefreshToken.seller_id)
    .join(Grant, Grant.id == RefreshToken.grant_id)
    .join(Client, Client.id == RefreshToken.client_id)
    .where(
        RefreshToken.token_hash == bindparam("digest"),
        RefreshToken.client_id == bindparam("client_pk"),
    )
)


def find_client_token(
    connection: Connection, token: str, client_pk: int, *, staging: bool
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
        access = _ACCESS_OF_CLIENT.first(connection, parameters)
        if access is None:
            return None
        scopes, seller_id, grant_id, created_at, expires_at, revoked_at = access[:6]
        username, grant_revoked, disabled = access[6:]
        if grant_id is None:
            return None
        active = (
            revoked_at is None
            and not grant_revoked
            and not disabled
            and (expires_at is None or expires_at > now)
        )
        return TokenInfo(
            parsed.kind, active, scopes, seller_id, username, grant_id, created_at, expires_at
        )
    refresh = _REFRESH_OF_CLIENT.first(connection, parameters)
    if refresh is None:
        return None
    scopes, seller_id, grant_id, created_at, expires_at, used_at, revoked_at = refresh[:7]
    username, grant_revoked, disabled = refresh[7:]
    active = (
        revoked_at is None
        and used_at is None
        and not grant_revoked
        and not disabled
        and expires_at > now
    )
    return TokenInfo(
        parsed.kind, active, scopes, seller_id, username, grant_id, created_at, expires_at
    )
