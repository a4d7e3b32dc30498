"""One-time records of sign-ins through the upstream provider, claimed atomically.

A started sign-in is a row keyed by the SHA-256 of its ``state`` and bound to the SHA-256 of
the starting browser's cookie; the callback claims it with one ``DELETE ... RETURNING`` that
matches both, so a ``state`` works once, in that browser only, on whichever worker or node
(OpenID Connect Core 1.0 §3.1.2.1, RFC 6749 §10.12). Nothing secret is stored: the PKCE
verifier and the nonce are derived from the browser's cookie, which only the browser holds.

Accepted back-channel logout tokens are remembered by the SHA-256 of their ``jti`` until they
would have expired (OpenID Connect Back-Channel Logout 1.0 §2.6: a replay must be refused);
the insert that remembers one is the check, so two deliveries at once cannot both pass.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sellergate.storage.models import SpentLogoutToken, UpstreamSignin
from sellergate.storage.types import utcnow
from sellergate.tokens.hashing import token_hash

SIGNIN_LIFETIME = timedelta(minutes=10)


def remember_signin(session: Session, state: str, browser: str, next_url: str) -> None:
    session.add(
        UpstreamSignin(
            state_hash=token_hash(state),
            browser_hash=token_hash(browser),
            next_url=next_url,
            expires_at=utcnow() + SIGNIN_LIFETIME,
        )
    )
    # Ended ones go with each new one, so the table holds only the sign-ins in progress.
    session.execute(delete(UpstreamSignin).where(UpstreamSignin.expires_at <= utcnow()))


def claim_signin(session: Session, state: str, browser: str) -> str | None:
    """The sign-in's ``next`` page if ``state`` is live and this browser's; None otherwise.
    The row is gone either way once claimed."""
    return session.execute(
        delete(UpstreamSignin)
        .where(
            UpstreamSignin.state_hash == token_hash(state),
            UpstreamSignin.browser_hash == token_hash(browser),
            UpstreamSignin.expires_at > utcnow(),
        )
        .returning(UpstreamSignin.next_url)
    ).scalar_one_or_none()


def spend_logout_token(session: Session, jti: str, expires_at: datetime) -> bool:
    """Remember ``jti``; False if it was already spent (a replay)."""
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    session.execute(delete(SpentLogoutToken).where(SpentLogoutToken.expires_at <= utcnow()))
    inserted = session.execute(
        dialect.insert(SpentLogoutToken)
        .values(jti_hash=token_hash(jti), expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["jti_hash"])
        .returning(SpentLogoutToken.jti_hash)
    ).scalar_one_or_none()
    return inserted is not None
