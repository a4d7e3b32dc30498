"""Seller passwords: Argon2id at production cost (the other tests hash at the least cost)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from sellergate.accounts import passwords


def test_production_hashes_with_argon2id_at_rfc_9106_cost(
    production_hasher: PasswordHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passwords, "_hasher", production_hasher)
    stored = passwords.hash_password("correct-horse-battery")
    assert extract_parameters(stored) == profiles.RFC_9106_LOW_MEMORY
    assert passwords.verify_password("correct-horse-battery", stored)
