"""Hashes of high-entropy secrets (tokens, client secrets, codes, link keys).

These secrets carry ~190 bits of entropy, so a single SHA-256 is as strong as any password
hash and costs well under a microsecond; the hash is also the database lookup key.
"""

from __future__ import annotations

import hashlib
import hmac


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_hash(secret: str, stored_hash: str) -> bool:
    """Compare ``secret`` with a stored hash in constant time."""
    return hmac.compare_digest(token_hash(secret), stored_hash)
