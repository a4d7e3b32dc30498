"""Secure links: one-time, expiring links that reveal a secret exactly once.

The link carries 190 bits of randomness. The database keeps only a hash of it (the lookup key)
and the secret encrypted with AES-256-GCM under a key derived from the link, so a copy of the
database alone reveals nothing. Revealing is a conditional UPDATE: of any number of concurrent
reveals exactly one wins; the ciphertext is wiped in the same transaction.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sellergate.errors import Gone, NotFound
from sellergate.storage.models import SecureLink
from sellergate.storage.types import utcnow
from sellergate.tokens.format import ALPHABET, random_base62

LINK_LENGTH = 43
PATH_PREFIX = "/secure-links/"


@dataclass(frozen=True, slots=True)
class IssuedLink:
    link: str
    expires_at: datetime

    def url(self, public_url: str) -> str:
        return f"{public_url}{PATH_PREFIX}{self.link}"


@dataclass(frozen=True, slots=True)
class LinkState:
    purpose: str
    subject: str
    expires_at: datetime
    state: str  # ready | revealed | expired


@dataclass(frozen=True, slots=True)
class RevealedSecret:
    secret: str
    purpose: str
    subject: str


def _lookup_hash(link: str) -> str:
    return hashlib.sha256(b"sellergate-link-id:" + link.encode("ascii")).hexdigest()


def _key(link: str) -> bytes:
    return hashlib.sha256(b"sellergate-link-key:" + link.encode("ascii")).digest()


def _well_formed(link: str) -> bool:
    return len(link) == LINK_LENGTH and all(char in ALPHABET for char in link)


def create_link(
    session: Session, secret: str, *, purpose: str, subject: str, ttl: timedelta
) -> IssuedLink:
    link = random_base62(LINK_LENGTH)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(_key(link)).encrypt(nonce, secret.encode("utf-8"), purpose.encode())
    expires_at = utcnow() + ttl
    session.add(
        SecureLink(
            link_hash=_lookup_hash(link),
            purpose=purpose,
            subject=subject,
            ciphertext=sealed,
            expires_at=expires_at,
        )
    )
    session.flush()
    return IssuedLink(link=link, expires_at=expires_at)


def inspect_link(session: Session, link: str) -> LinkState:
    """What the link's page shows; consumes nothing (link previews must not burn it)."""
    row = _find(session, link)
    if row.revealed_at is not None:
        state = "revealed"
    elif row.expires_at <= utcnow():
        state = "expired"
    else:
        state = "ready"
    return LinkState(row.purpose, row.subject, row.expires_at, state)


def reveal_link(session: Session, link: str) -> RevealedSecret:
    """Claim the link atomically and decrypt its secret; :class:`Gone` if used or expired."""
    if not _well_formed(link):
        raise NotFound("no such link")
    digest = _lookup_hash(link)
    now = utcnow()
    claimed = session.execute(
        update(SecureLink)
        .where(
            SecureLink.link_hash == digest,
            SecureLink.revealed_at.is_(None),
            SecureLink.expires_at > now,
        )
        .values(revealed_at=now)
        .returning(SecureLink.ciphertext, SecureLink.purpose, SecureLink.subject)
    ).one_or_none()
    if claimed is None:
        state = inspect_link(session, link)
        raise Gone(f"this link was already {'used' if state.state == 'revealed' else 'expired'}")
    sealed, purpose, subject = claimed
    session.execute(update(SecureLink).where(SecureLink.link_hash == digest).values(ciphertext=b""))
    try:
        secret = AESGCM(_key(link)).decrypt(sealed[:12], sealed[12:], purpose.encode())
    except InvalidTag:
        raise NotFound("no such link") from None
    return RevealedSecret(secret.decode("utf-8"), purpose, subject)


def _find(session: Session, link: str) -> SecureLink:
    row = None
    if _well_formed(link):
        query = select(SecureLink).where(SecureLink.link_hash == _lookup_hash(link))
        row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFound("no such link")
    return row
