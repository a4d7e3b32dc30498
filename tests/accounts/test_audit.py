"""The security log's recording function: plain values only, never anything like a secret."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sellergate.accounts.audit import Actor, EventKind, list_events, record_event
from sellergate.accounts.sellers import create_seller
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate

ACCESS = generate(TokenKind.ACCESS, staging=True)
REFRESH = generate(TokenKind.REFRESH, staging=False)


def test_details_must_be_plain_values(db: Database) -> None:
    with pytest.raises(TypeError), db.session(write=True) as session:
        record_event(
            session,
            EventKind.TOKEN_ISSUED,
            actor=Actor.PLATFORM,
            details={"nested": ["lists", "are", "not", "plain"]},  # type: ignore[dict-item]
        )
    with db.session() as session:
        assert list_events(session) == []


@pytest.mark.parametrize(
    ("text", "recorded"),
    [
        (ACCESS, "wn_access_tk_test_[redacted]"),
        (f"see {REFRESH} here", "see wn_refresh_tk_[redacted] here"),
        ("wn_client_secret_test_abc", "wn_client_secret_test_[redacted]"),
        # Text that only mentions a prefix is kept as it is, or redacted past it: never refused.
        ("replaces wn_access_tk_ old", "replaces wn_access_tk_ old"),
        (
            "https://paste.example/wn_access_tk_notes.md",
            "https://paste.example/wn_access_tk_[redacted].md",
        ),
        ("x" * 201, "x" * 199 + "…"),
        ("y" * 190 + ACCESS, "y" * 190 + "wn_access…"),
    ],
    ids=["token", "token-in-text", "secret-part", "bare-prefix", "file-name", "long", "cut"],
)
def test_text_that_could_hold_a_secret_is_redacted_and_bounded(
    db: Database, text: str, recorded: str
) -> None:
    with db.session(write=True) as session:
        record_event(session, EventKind.TOKEN_ISSUED, actor=Actor.PLATFORM, details={"note": text})
    with db.session() as session:
        [event] = list_events(session)
    assert event.details == {"note": recorded}


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
