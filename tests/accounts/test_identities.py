"""Sellers linked to upstream accounts by (issuer, sub) only; usernames made from claims."""

from __future__ import annotations

import pytest

from sellergate.accounts.identities import (
    UpstreamUser,
    link_identity,
    sign_in_upstream,
    username_from_claim,
)
from sellergate.accounts.sellers import create_seller
from sellergate.errors import SigninFailed
from sellergate.storage.database import Database

ISSUER = "https://accounts.example.test"


@pytest.mark.parametrize(
    ("claim", "subject", "username"),
    [
        ("Alice", "1", "alice"),
        ("Jean Dupont", "1", "jean-dupont"),
        ("ünïcode@host", "1", "n-code-host"),
        (None, "248289761001", "seller-248289761001"),
        ("x", "Ab|C", "seller-ab-c"),
    ],
)
def test_usernames_made_from_claims(claim: str | None, subject: str, username: str) -> None:
    assert username_from_claim(claim, subject) == username


def test_the_same_name_at_another_issuer_or_subject_is_another_seller(db: Database) -> None:
    with db.session(write=True) as session:
        create_seller(session, "alice", "a@example.com", "a-long-password")
        create_seller(session, "alice-2", "a2@example.com", None)
        first = sign_in_upstream(session, UpstreamUser(ISSUER, "s1", "alice", None), auto=True)
        other = sign_in_upstream(
            session, UpstreamUser("https://other.example", "s1", "alice", None), auto=True
        )
        again = sign_in_upstream(session, UpstreamUser(ISSUER, "s1", "alice", None), auto=True)
    assert (first.username, other.username) == ("alice-3", "alice-4")
    assert again.seller_id == first.seller_id and not again.created


def test_linked_only_signs_in_the_linked_seller(db: Database) -> None:
    with db.session(write=True) as session:
        seller = create_seller(session, "bob", "b@example.com", "a-long-password")
        with pytest.raises(SigninFailed) as refused:
            sign_in_upstream(session, UpstreamUser(ISSUER, "s2", "bob", None), auto=False)
        assert refused.value.code == "not_linked" and refused.value.status == 403
        link_identity(session, "bob", ISSUER, "s2")
        found = sign_in_upstream(
            session, UpstreamUser(ISSUER, "s2", "bob", "bob@new.example"), auto=False
        )
        assert found.seller_id == seller.id
        assert seller.email == "bob@new.example"
