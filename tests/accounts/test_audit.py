"""The security log's recording function: plain values only, never anything like a secret."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sellergate.accounts.audit import Actor, EventKind, list_events, record_event
from sellergate.accounts.sellers import create_seller
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate


@pytest.mark.parametrize(
    "details",
    [
        {"note": generate(TokenKind.ACCESS, staging=True)},
        {"note": "see " + generate(TokenKind.REFRESH, staging=False) + " here"},
        {"note": "wn_client_secret_test_abc"},
        {"nested": ["lists", "are", "not", "plain"]},
        {"long": "x" * 201},
    ],
)
def test_details_that_could_hold_a_secret_are_refused(db: Database, details: object) -> None:
    with pytest.raises((TypeError, ValueError)), db.session(write=True) as session:
        record_event(
            session,
            EventKind.TOKEN_ISSUED,
            actor=Actor.PLATFORM,
            details=details,  # type: ignore[arg-type]
        )
    with db.session() as session:
        assert list_events(session) == []


def test_events_are_listed_newest_first_filtered_and_paged(db: Database) -> None:
    with db.session(write=True) as session:
        alice = create_seller(session, "alice", "a@example.com", "a-long-password").id
        bob = create_seller(session, "bob", "b@example.com", "a-long-password").id
        for i in range(5):
            record_event(
                session,
                EventKind.SIGNIN_SUCCEEDED,
                actor=Actor.SELLER,
                seller_id=alice if i % 2 == 0 else bob,
                address="192.0.2.1",
                details={"n": i},
            )
    with db.session() as session:
        everything = list_events(session)
        assert [e.details["n"] for e in everything] == [4, 3, 2, 1, 0]
        assert [e.seller for e in everything] == ["alice", "bob", "alice", "bob", "alice"]
        mine = list_events(session, seller_id=alice)
        assert [e.details["n"] for e in mine] == [4, 2, 0]
        page = list_events(session, seller_id=alice, before_id=mine[0].id, limit=1)
        assert [e.details["n"] for e in page] == [2]
        assert list_events(session, since=utcnow() + timedelta(minutes=1)) == []
