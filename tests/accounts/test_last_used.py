"""The "last used" buffer: times whose write failed are kept for the next flush."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select

from live import Account
from sellergate.accounts.bearer import LastUsedRecorder
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken
from sellergate.storage.types import utcnow


def used_count(db: Database) -> int:
    with db.session() as session:
        query = select(func.count()).where(AccessToken.last_used_at.is_not(None))
        return int(session.scalar(query) or 0)


def test_a_failed_flush_keeps_the_times(db: Database, seller: Account) -> None:
    with db.session() as session:
        token_id = session.scalars(select(AccessToken.id)).one()
    recorder = LastUsedRecorder()
    recorder.touch(token_id, utcnow())
    broken = create_engine("sqlite:////nonexistent-directory/x.db")
    with pytest.raises(Exception, match="unable to open"):
        recorder.flush(broken)
    assert used_count(db) == 0
    assert recorder.flush(db.engine) == 1
    assert used_count(db) == 1
