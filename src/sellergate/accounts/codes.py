"""Authorization codes (RFC 6749 §4.1.2): stored as hashes, spent by one atomic claim.

A code is claimed with a conditional UPDATE ... RETURNING, so of any number of concurrent
exchanges exactly one wins. What a spent code's presentation means (it revokes the grant it
produced, §4.1.2, §10.5) is :mod:`sellergate.oauth.authorization_code`'s to decide.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sellergate.oauth.records import ClaimedCode, UnclaimedCode
from sellergate.storage.models import AuthorizationCode
from sellergate.storage.types import utcnow
from sellergate.tokens.hashing import token_hash


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
    dpop_jkt: str | None = None,
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
            dpop_jkt=dpop_jkt,
        )
    )
    session.flush()


def claim_code(session: Session, code: str, client_pk: int) -> ClaimedCode | UnclaimedCode | None:
    """Spend ``code`` for the app ``client_pk``; else why it cannot be, or ``None`` if the app
    has no such code."""
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
            AuthorizationCode.dpop_jkt,
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
        return None
    return UnclaimedCode(spent=found.used_at is not None, grant_id=found.grant_id)


def bind_code(session: Session, code_id: int, grant_id: int) -> None:
    """Remember which grant a code produced, so that its reuse can revoke it."""
    session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.id == code_id)
        .values(grant_id=grant_id)
        .execution_options(synchronize_session=False)
    )
