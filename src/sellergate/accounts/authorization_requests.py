"""Authorization requests awaiting the seller's decision (RFC 6749 §4.1.1 - §4.1.2).

When the consent page is shown, the validated request is stored server-side under a random
reference (only its hash is kept) and the page's form carries nothing but that reference. The
decision claims the row with one conditional UPDATE: it must be the same seller, within the
lifetime, and the first decision. So a replayed decision finds the row used, and an edited one
finds no row at all; neither mints a code.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from sellergate.accounts.clients import find_client
from sellergate.errors import NotFound
from sellergate.storage.models import AuthorizationRequest
from sellergate.storage.types import utcnow
from sellergate.tokens.format import random_base62
from sellergate.tokens.hashing import token_hash

REFERENCE_LENGTH = 32
# Long enough to read the consent page, short enough that an abandoned one soon goes stale.
PENDING_TTL = timedelta(minutes=15)


def remember_request(session: Session, *, seller_id: int, client_id: str, query: str) -> str:
    """Store a validated request for ``seller_id``; the reference the consent form carries."""
    client = find_client(session, client_id)
    if client is None:
        raise NotFound(f"no client with id {client_id!r}")
    reference = random_base62(REFERENCE_LENGTH)
    now = utcnow()
    session.add(
        AuthorizationRequest(
            reference_hash=token_hash(reference),
            seller_id=seller_id,
            client_id=client.id,
            query=query,
            created_at=now,
            expires_at=now + PENDING_TTL,
        )
    )
    session.flush()
    return reference


def claim_request(session: Session, reference: str, seller_id: int) -> str | None:
    """Spend the pending request ``reference`` of ``seller_id``: its query, or ``None`` if it
    is unknown, another seller's, expired or already decided."""
    if not reference or len(reference) > 64:
        return None
    now = utcnow()
    query: str | None = session.execute(
        update(AuthorizationRequest)
        .where(
            AuthorizationRequest.reference_hash == token_hash(reference),
            AuthorizationRequest.seller_id == seller_id,
            AuthorizationRequest.used_at.is_(None),
            AuthorizationRequest.expires_at > now,
        )
        .values(used_at=now)
        .returning(AuthorizationRequest.query)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    return query
