"""Seller passwords: Argon2id (the only place a slow hash belongs)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so that a login attempt costs the same
    whether or not the seller exists. Made on first use: hashing costs ~100 ms."""
    return _hasher.hash("not-a-real-password-but-the-same-cost")


MIN_LENGTH = 8
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches; a seller without a password (``""``) never matches."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and bool(stored)
    except (VerificationError, InvalidHashError):
        return False
