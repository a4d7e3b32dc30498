"""Refresh tokens in the database (RFC 6749 §6): mint, replace, read their scope.

The storage side of :mod:`sellergate.oauth.rotation`, which decides everything: these functions
run a statement or two each, found by the token's hash or by id. Each token records its parent,
and a token has at most one child (a unique column), so a family is one chain. The claim that
finds, locks and spends a presented token is :mod:`sellergate.accounts.refresh_claim`.

A code exchange or a refresh stores its access and refresh tokens together
(:func:`mint_token_pair`): one statement on PostgreSQL, two on SQLite. They are statements of
every refresh, so they are prebuilt and run on the driver's cursor
(:mod:`sellergate.storage.prebuilt`), with the columns' Python-side defaults (``created_at``)
written out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NotRequired, TypedDict, Unpack, cast

from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    insert,
    select,
    update,
)

from sellergate.accounts.access_tokens import MINTED, access_row, store_access_row
from sellergate.oauth.records import (
    ClaimedRefreshToken,
    PairToMint,
)
from sellergate.storage.models import AccessToken, RefreshToken
from sellergate.storage.prebuilt import Prebuilt
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate
from sellergate.tokens.hashing import token_hash

_REFRESH = cast(Table, RefreshToken.__table__)
MINTED_REFRESH = (
    "token_hash",
    "grant_id",
    "client_id",
    "seller_id",
    "scopes",
    "staging",
    "created_at",
    "expires_at",
    "parent_id",
    "access_token_id",
    "jkt",
)
_INSERT = Prebuilt(insert(_REFRESH).values({name: bindparam(name) for name in MINTED_REFRESH}))


class RefreshFields(TypedDict):
    """What a new refresh token is given: the arguments of :func:`refresh_row` and
    :func:`mint_refresh_token`."""

    grant_id: int
    client_pk: int
    seller_id: int
    scopes: str
    staging: bool
    ttl: timedelta
    parent_id: NotRequired[int | None]
    access_token_id: NotRequired[int | None]
    jkt: NotRequired[str | None]


def refresh_row(**fields: Unpack[RefreshFields]) -> tuple[str, dict[str, object]]:
    """A new refresh token and the row that stores it (its hash, no id yet)."""
    staging = fields["staging"]
    token = generate(TokenKind.REFRESH, staging=staging)
    now = utcnow()
    row = {
        "token_hash": token_hash(token),
        "grant_id": fields["grant_id"],
        "client_id": fields["client_pk"],
        "seller_id": fields["seller_id"],
        "scopes": fields["scopes"],
        "staging": staging,
        "created_at": now,
        "expires_at": now + fields["ttl"],
        "parent_id": fields.get("parent_id"),
        "access_token_id": fields.get("access_token_id"),
        "jkt": fields.get("jkt"),
    }
    return token, row


def mint_refresh_token(connection: Connection, **fields: Unpack[RefreshFields]) -> str:
    """Store a new refresh token (its hash only); the token is returned once."""
    token, row = refresh_row(**fields)
    _INSERT.rowcount(connection, row)
    return token


# The pair a code exchange or a refresh issues, in one statement on PostgreSQL: the access token's
# INSERT as a CTE whose id the refresh token's INSERT takes (one round trip less per refresh).
# SQLite has no INSERT in a CTE: there, the two INSERTs.
_ACCESS = cast(Table, AccessToken.__table__)
_MINTED_ACCESS = (
    insert(_ACCESS)
    .values({name: bindparam("a_" + name, type_=_ACCESS.c[name].type) for name in MINTED})
    .returning(_ACCESS.c.id)
    .cte("minted_access")
)
_INSERT_PAIR = Prebuilt(
    insert(_REFRESH)
    .from_select(
        list(MINTED_REFRESH),
        select(
            *(
                _MINTED_ACCESS.c.id
                if name == "access_token_id"
                else bindparam("r_" + name, type_=_REFRESH.c[name].type)
                for name in MINTED_REFRESH
            )
        ),
    )
    .returning(RefreshToken.access_token_id)
)


def mint_token_pair(connection: Connection, pair: PairToMint) -> tuple[str, str]:
    """Store an access token and the refresh token issued with it (hashes only): the two
    tokens, returned once."""
    access_token, access = access_row(
        seller_id=pair.seller_id,
        scopes=pair.access_scopes,
        staging=pair.staging,
        expires_at=pair.access_expires_at,
        client_id=pair.client_pk,
        grant_id=pair.grant_id,
        jkt=pair.access_jkt,
    )
    refresh_token, refresh = refresh_row(
        grant_id=pair.grant_id,
        client_pk=pair.client_pk,
        seller_id=pair.seller_id,
        scopes=pair.refresh_scopes,
        staging=pair.staging,
        ttl=pair.refresh_ttl,
        parent_id=pair.parent_id,
        jkt=pair.refresh_jkt,
    )
    if connection.dialect.name == "postgresql":
        del refresh["access_token_id"]  # the CTE's
        parameters = {"a_" + name: value for name, value in access.items()}
        parameters.update({"r_" + name: value for name, value in refresh.items()})
        stored = _INSERT_PAIR.first(connection, parameters)
        assert stored is not None  # the refresh token's row, chained to the access token's
    else:
        refresh["access_token_id"] = store_access_row(connection, access)
        _INSERT.rowcount(connection, refresh)
    return access_token, refresh_token


# A retry's replacement of a lost pair: the successor refresh token first (refreshes of the
# family are serialized by the grant lock, so this never races another claim of it), then its
# access token, which races the bearer check's first-use write (one row, locked by whichever
# UPDATE comes first; the other then finds it changed and does nothing).
_REVOKE_SUCCESSOR = (
    update(_REFRESH)
    .where(
        RefreshToken.parent_id == bindparam("token_id"),
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
    )
    .values(revoked_at=bindparam("now"))
    .returning(
        RefreshToken.id,
        RefreshToken.grant_id,
        RefreshToken.seller_id,
        RefreshToken.scopes,
        RefreshToken.access_token_id,
    )
)
_REVOKE_UNUSED_ACCESS = (
    update(cast(Table, AccessToken.__table__))
    .where(
        AccessToken.id == bindparam("access_token_id"),
        AccessToken.first_used_at.is_(None),
        AccessToken.revoked_at.is_(None),
    )
    .values(revoked_at=bindparam("now"))
)


def replace_unused_pair(
    connection: Connection, token_id: int, now: datetime
) -> ClaimedRefreshToken | None:
    row = connection.execute(_REVOKE_SUCCESSOR, {"token_id": token_id, "now": now}).one_or_none()
    if row is None:
        return None
    successor_id, grant_id, seller_id, scopes, access_token_id = row
    if access_token_id is not None:
        parameters = {"access_token_id": access_token_id, "now": now}
        if connection.execute(_REVOKE_UNUSED_ACCESS, parameters).rowcount != 1:
            return None
    return ClaimedRefreshToken(successor_id, grant_id, seller_id, scopes)


_SCOPES = Prebuilt(
    select(RefreshToken.scopes).where(
        RefreshToken.token_hash == bindparam("digest"),
        RefreshToken.client_id == bindparam("client_pk"),
    )
)


def refresh_token_scopes(connection: Connection, token: str, client_pk: int) -> str | None:
    """The scopes of a refresh token of the app ``client_pk``, without spending it."""
    row = _SCOPES.first(connection, {"digest": token_hash(token), "client_pk": client_pk})
    return None if row is None else cast(str, row[0])
