"""Access tokens, personal and OAuth alike: minting and bulk revocation.

One table holds both kinds so that the bearer check is a single indexed lookup by hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from sellergate.oauth.records import MintedToken
from sellergate.scopes import Scope, format_scopes
from sellergate.storage.models import AccessToken
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate, last_four
from sellergate.tokens.hashing import token_hash

# Built once: minting runs on every token grant, and building an INSERT costs more than it.
_INSERT = insert(cast(Table, AccessToken.__table__)).returning(AccessToken.id)


def mint_access_token(
    session: Session,
    *,
    seller_id: int,
    scopes: Iterable[Scope],
    staging: bool,
    expires_at: datetime | None,
    label: str = "",
    client_id: int | None = None,
    grant_id: int | None = None,
    jkt: str | None = None,
) -> MintedToken:
    """Store a new access token (its hash only) with one INSERT; the token is returned once."""
    token = generate(TokenKind.ACCESS, staging=staging)
    row = {
        "token_hash": token_hash(token),
        "seller_id": seller_id,
        "client_id": client_id,
        "grant_id": grant_id,
        "scopes": format_scopes(scopes),
        "staging": staging,
        "label": label,
        "last_four": last_four(token),
        "expires_at": expires_at,
        "jkt": jkt,
    }
    token_id = session.connection().execute(_INSERT, row).scalar_one()
    return MintedToken(token, token_id)


def revoke_access_tokens(session: Session, condition: ColumnElement[bool]) -> int:
    """Revoke every live access token matching ``condition`` in one statement."""
    result = session.execute(
        update(AccessToken)
        .where(condition, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
