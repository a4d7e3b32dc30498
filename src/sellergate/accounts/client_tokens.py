"""An app's own tokens, as introspection (RFC 7662) and revocation (RFC 7009) find them.

The statement that finds a token also joins its grant and its app, so a token of a revoked
grant or a disabled app is inactive whatever its own row says (see
:mod:`sellergate.accounts.families`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, bindparam, null, select

from sellergate.oauth.records import TokenInfo
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken, Seller
from sellergate.storage.prebuilt import Prebuilt, PrebuiltAny, Reads, run_reads
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, parse
from sellergate.tokens.hashing import token_hash


# Prebuilt (see :mod:`sellergate.storage.prebuilt`): resource servers call introspection at
# high rates. Inner joins: an app's token always has a grant and an app; the grant and app
# states are read in the same statement.
def _of_client(model: type[AccessToken] | type[RefreshToken]) -> Select[*tuple[Any, ...]]:
    """One row shape for both kinds: an access token is never "used" (a NULL in its place)."""
    used_at = model.used_at if model is RefreshToken else null()
    return (
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
            # Last: which app's and which token, for the batched lookup to sort its rows.
            model.client_id,
            model.token_hash,
        )
        .join(Seller, Seller.id == model.seller_id)
        .join(Grant, Grant.id == model.grant_id)
        .join(Client, Client.id == model.client_id)
    )


_MODELS: dict[TokenKind, type[AccessToken] | type[RefreshToken]] = {
    TokenKind.ACCESS: AccessToken,
    TokenKind.REFRESH: RefreshToken,
}
_OF_CLIENT = {
    kind: Prebuilt(
        _of_client(model).where(
            model.token_hash == bindparam("digest"), model.client_id == bindparam("client_pk")
        )
    )
    for kind, model in _MODELS.items()
}
# Several tokens of one kind at once (coalesced introspection requests); each row is then
# matched to the app that asked (:func:`find_client_tokens`).
_MANY = {kind: PrebuiltAny(_of_client(model), model.token_hash) for kind, model in _MODELS.items()}


def _kind(token: str, staging: bool) -> TokenKind | None:
    """Which table may hold ``token`` (the prefix says), or None for a token no app has."""
    try:
        parsed = parse(token)
    except MalformedToken:
        return None
    if parsed.staging != staging or parsed.kind is TokenKind.CLIENT_SECRET:
        return None
    return parsed.kind


def find_client_token(
    connection: Connection, token: str, client_pk: int, *, staging: bool
) -> TokenInfo | None:
    """The access or refresh token ``token`` if it was issued to the app ``client_pk``.

    The prefix says which table to look in, so this is one indexed SELECT; personal tokens and
    other apps' tokens are never returned.
    """
    kind = _kind(token, staging)
    if kind is None:
        return None
    parameters = {"digest": token_hash(token), "client_pk": client_pk}
    return _info(kind, _OF_CLIENT[kind].first(connection, parameters))


def find_client_tokens(
    connection: Connection, wanted: Sequence[tuple[str, int]], *, staging: bool
) -> list[TokenInfo | None]:
    """:func:`find_client_token` for several ``(token, client_pk)`` pairs: one statement per
    kind of token asked for, whatever their number."""
    return run_reads(connection, client_tokens_reads(wanted, staging=staging))


def client_tokens_reads(
    wanted: Sequence[tuple[str, int]], *, staging: bool
) -> Reads[list[TokenInfo | None]]:
    """:func:`find_client_tokens` as :data:`~sellergate.storage.prebuilt.Reads`."""
    kinds = [_kind(token, staging) for token, _ in wanted]
    digests = [token_hash(token) for token, _ in wanted]
    rows: dict[tuple[str, int], tuple[Any, ...]] = {}
    for kind in (TokenKind.ACCESS, TokenKind.REFRESH):
        of_kind = list({d for d, k in zip(digests, kinds, strict=True) if k is kind})
        if of_kind:
            rows.update({(row[-1], row[-2]): row for row in (yield _MANY[kind].read(of_kind))})
    return [
        None if kind is None else _info(kind, rows.get((digest, client_pk)))
        for kind, digest, (_, client_pk) in zip(kinds, digests, wanted, strict=True)
    ]


def _info(kind: TokenKind, found: tuple[Any, ...] | None) -> TokenInfo | None:
    """What introspection and revocation are told of a token's row: the one place that says
    whether it is active."""
    if found is None:
        return None
    scopes, seller_id, grant_id, created_at, expires_at, used_at, revoked_at = found[:7]
    username, grant_revoked, disabled, jkt = found[7:11]
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
        kind, active, scopes, seller_id, username, grant_id, created_at, expires_at, jkt
    )
