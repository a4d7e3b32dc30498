"""Access tokens, personal and OAuth alike: minting and bulk revocation.

One table holds both kinds so that the bearer check is a single indexed lookup by hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NotRequired, TypedDict, Unpack, cast

from sqlalchemy import Connection, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from sellergate.oauth.records import MintedToken
from sellergate.scopes import Scope, format_scopes
from sellergate.storage.models import AccessToken
from sellergate.storage.prebuilt import Prebuilt
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate, last_four
from sellergate.tokens.hashing import token_hash

MINTED = (
    "token_hash",
    "seller_id",
    "client_id",
    "grant_id",
    "scopes",
    "staging",
    "label",
    "last_four",
    "created_at",
    "expires_at",
    "jkt",
)
# Prebuilt (:mod:`sellergate.storage.prebuilt`): minting runs on every token grant, and
# SQLAlchemy's bookkeeping around one INSERT costs more than the INSERT.
_INSERT = Prebuilt(
    insert(cast(Table, AccessToken.__table__))
    .values({name: bindparam(name) for name in MINTED})
    .returning(AccessToken.id)
)


_APP_OF = Prebuilt(
    select(AccessToken.client_id).where(AccessToken.token_hash == bindparam("digest"))
)


def app_of_token(connection: Connection, digest: str) -> tuple[bool, int | None]:
    """Whether a token with this SHA-256 ``digest`` exists and, if so, its app's row id (none
    for a personal token). It never changes for a token, dead or alive."""
    row = _APP_OF.first(connection, {"digest": digest})
    return (False, None) if row is None else (True, row[0])


class AccessFields(TypedDict):
    """What a new access token is given: the arguments of :func:`access_row` and
    :func:`mint_access_token`."""

    seller_id: int
    scopes: Iterable[Scope]
    staging: bool
    expires_at: datetime | None
    label: NotRequired[str]
    client_id: NotRequired[int | None]
    grant_id: NotRequired[int | None]
    jkt: NotRequired[str | None]


def access_row(**fields: Unpack[AccessFields]) -> tuple[str, dict[str, object]]:
    """A new access token and the row that stores it (its hash, no id yet)."""
    staging = fields["staging"]
    token = generate(TokenKind.ACCESS, staging=staging)
    row = {
        "token_hash": token_hash(token),
        "seller_id": fields["seller_id"],
        "client_id": fields.get("client_id"),
        "grant_id": fields.get("grant_id"),
        "scopes": format_scopes(fields["scopes"]),
        "staging": staging,
        "label": fields.get("label", ""),
        "last_four": last_four(token),
        "created_at": utcnow(),
        "expires_at": fields["expires_at"],
        "jkt": fields.get("jkt"),
    }
    return token, row


def mint_access_token(connection: Connection, **fields: Unpack[AccessFields]) -> MintedToken:
    """Store a new access token (its hash only) with one INSERT; the token is returned once."""
    token, row = access_row(**fields)
    return MintedToken(token, store_access_row(connection, row))


def store_access_row(connection: Connection, row: dict[str, object]) -> int:
    """INSERT a row made by :func:`access_row`; its id."""
    returned = _INSERT.first(connection, row)
    assert returned is not None  # an INSERT ... RETURNING returns its row
    return int(returned[0])


def revoke_access_tokens(session: Session, condition: ColumnElement[bool]) -> int:
    """Revoke every live access token matching ``condition`` in one statement."""
    result = session.execute(
        update(AccessToken)
        .where(condition, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
