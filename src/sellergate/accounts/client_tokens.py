"""An app's own tokens, as introspection (RFC 7662) and revocation (RFC 7009) find them.

The statement that finds a token also joins its grant and its app, so a token of a revoked
grant or a disabled app is inactive whatever its own row says (see
:mod:`sellergate.accounts.families`).
"""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, null, select

from sellergate.oauth.records import TokenInfo
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken, Seller
from sellergate.storage.prebuilt import Prebuilt
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, parse
from sellergate.tokens.hashing import token_hash


# Prebuilt (see :mod:`sellergate.storage.prebuilt`): resource servers call introspection at
# high rates. Inner joins: an app's token always has a grant and an app; the grant and app
# states are read in the same statement.
def _of_client(model: type[AccessToken] | type[RefreshToken]) -> Prebuilt:
    """One row shape for both kinds: an access token is never "used" (a NULL in its place)."""
    used_at = model.used_at if model is RefreshToken else null()
    return Prebuilt(
        select(
            model.scopes,
            model.seller_id,
            model.grant_id,
            model.created_at,
            model.expires_at,
            used_at,
            model.revoked_at,
            Seller.username,
            Grant.revoked_at.is_not(None),
            Client.disabled_at.is_not(None),
            model.jkt,
        )
        .join(Seller, Seller.id == model.seller_id)
        .join(Grant, Grant.id == model.grant_id)
        .join(Client, Client.id == model.client_id)
        .where(model.token_hash == bindparam("digest"), model.client_id == bindparam("client_pk"))
    )


_OF_CLIENT = {
    TokenKind.ACCESS: _of_client(AccessToken),
    TokenKind.REFRESH: _of_client(RefreshToken),
}


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
    found = _OF_CLIENT[parsed.kind].first(connection, parameters)
    if found is None:
        return None
    scopes, seller_id, grant_id, created_at, expires_at, used_at, revoked_at = found[:7]
    username, grant_revoked, disabled, jkt = found[7:]
    if grant_id is None:  # a personal token's row: not an app's
        return None
    active = (
        revoked_at is None
        and used_at is None
        and not grant_revoked
        and not disabled
        and (expires_at is None or expires_at > utcnow())
    )
    return TokenInfo(
        parsed.kind, active, scopes, seller_id, username, grant_id, created_at, expires_at, jkt
    )
