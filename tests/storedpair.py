"""The rows an access token and a refresh token issued together are stored in, found by the
tokens' hashes (the tokens themselves are never stored)."""

from __future__ import annotations

from sqlalchemy import select

from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken, RefreshToken
from sellergate.tokens.hashing import token_hash


def stored_pair(
    db: Database, access_token: str, refresh_token: str
) -> tuple[AccessToken, RefreshToken]:
    with db.session() as session:
        access = session.scalars(
            select(AccessToken).where(AccessToken.token_hash == token_hash(access_token))
        ).one()
        refresh = session.scalars(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash(refresh_token))
        ).one()
    return access, refresh
