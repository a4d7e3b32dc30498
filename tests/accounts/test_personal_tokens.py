"""Personal tokens: issue, rotate (with and without grace), revoke, expiry validation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from live import Account
from sellergate.accounts.personal_tokens import (
    issue_token,
    list_tokens,
    revoke_token,
    rotate_token,
)
from sellergate.config import Settings
from sellergate.errors import InvalidInput, NotFound
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken
from sellergate.storage.types import utcnow


def test_rotate_without_grace_revokes_at_once(
    db: Database, settings: Settings, seller: Account
) -> None:
    with db.session(write=True) as session:
        old = issue_token(session, settings, seller.username, expires_in=timedelta(days=30))
        new = rotate_token(session, settings, old.token_id)
    with db.session() as session:
        old_row = session.get(AccessToken, old.token_id)
        new_row = session.get(AccessToken, new.token_id)
        assert old_row is not None and new_row is not None
        assert old_row.revoked_at is not None
        assert old_row.replaced_by_id == new.token_id
        assert new_row.revoked_at is None
        assert new_row.expires_at is not None
        lifetime = new_row.expires_at - new_row.created_at
        assert abs(lifetime - timedelta(days=30)) < timedelta(seconds=5)


def test_rotate_with_grace_keeps_the_old_token_until_it_ends(
    db: Database, settings: Settings, seller: Account
) -> None:
    with db.session(write=True) as session:
        old = issue_token(session, settings, seller.username)
        rotate_token(session, settings, old.token_id, grace=timedelta(hours=24))
    with db.session() as session:
        row = session.get(AccessToken, old.token_id)
        assert row is not None and row.revoked_at is None and row.expires_at is not None
        assert timedelta(hours=23) < row.expires_at - utcnow() <= timedelta(hours=24)


def test_rotating_a_dead_token_is_refused(
    db: Database, settings: Settings, seller: Account
) -> None:
    with db.session(write=True) as session:
        issued = issue_token(session, settings, seller.username)
        revoke_token(session, issued.token_id)
    with db.session(write=True) as session, pytest.raises(InvalidInput, match="no longer active"):
        rotate_token(session, settings, issued.token_id)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expires_in": timedelta(0)}, "expiry"),
        ({"expires_in": timedelta(days=99999)}, "expiry"),
        ({"label": "x" * 101}, "label"),
    ],
)
def test_bad_input_changes_nothing(
    db: Database, settings: Settings, seller: Account, kwargs: dict[str, object], message: str
) -> None:
    with db.session() as session:
        before = len(list_tokens(session, seller.id))
    with db.session(write=True) as session, pytest.raises(InvalidInput, match=message):
        issue_token(session, settings, seller.username, **kwargs)  # type: ignore[arg-type]
    with db.session() as session:
        assert len(list_tokens(session, seller.id)) == before


def test_other_sellers_token_is_not_found(
    db: Database, settings: Settings, seller: Account, other_seller: Account
) -> None:
    with db.session(write=True) as session:
        issued = issue_token(session, settings, seller.username)
    with db.session(write=True) as session, pytest.raises(NotFound):
        revoke_token(session, issued.token_id, seller_id=other_seller.id)


def test_a_token_in_its_grace_period_is_not_replaced_twice(
    db: Database, settings: Settings, seller: Account
) -> None:
    """Regression: rotating a token still in its grace period issued a second replacement and
    left the first one live; a leak report of it (which rotates) did the same."""
    from sqlalchemy import func, select

    from sellergate.accounts.audit import Actor
    from sellergate.accounts.leaks import Outcome, handle_leak
    from sellergate.accounts.secure_links import reveal_link

    with db.session(write=True) as session:
        old = issue_token(session, settings, seller.username)
        old_secret = reveal_link(session, old.link.link).secret
        first = rotate_token(session, settings, old.token_id, grace=timedelta(hours=24))
    refused = pytest.raises(InvalidInput, match=f"already replaced by token {first.token_id}")
    with refused, db.session(write=True) as session:
        rotate_token(session, settings, old.token_id)
    with db.session(write=True) as session:
        result = handle_leak(session, settings, old_secret, actor=Actor.PLATFORM)
    assert result.outcome is Outcome.REVOKED and result.replacement is None
    with db.session() as session:
        old_row = session.get(AccessToken, old.token_id)
        first_row = session.get(AccessToken, first.token_id)
        assert old_row is not None and old_row.revoked_at is not None
        assert first_row is not None and first_row.revoked_at is None
        live = session.scalar(
            select(func.count())
            .select_from(AccessToken)
            .where(AccessToken.seller_id == old_row.seller_id, AccessToken.revoked_at.is_(None))
        )
    # The seller's fixture token and the one replacement: nothing else.
    assert live == 2
