"""The connection a thread keeps for its reads on the event loop (``Database.kept_read``): one
connection across reads, each read its own transaction, a failed connection replaced, and every
kept connection closed with the database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sellergate.storage.database import Database

pytestmark = pytest.mark.databases("sqlite")

COUNT = "SELECT count(*) FROM sellers"
INSERT = (
    "INSERT INTO sellers (username, email, password_hash, created_at) "
    "VALUES (:name, :name || '@example.com', 'x', CURRENT_TIMESTAMP)"
)


def _add_seller(db: Database, name: str) -> None:
    with db.transaction(write=True) as connection:
        connection.execute(text(INSERT), {"name": name})


def test_reads_share_one_connection_and_each_sees_what_was_committed_before_it(
    db: Database,
) -> None:
    with db.kept_read() as first:
        before = first.execute(text(COUNT)).scalar_one()
    _add_seller(db, "alice")
    with db.kept_read() as second:
        # The same connection, its earlier snapshot let go: the new row is there.
        assert second is first
        assert second.execute(text(COUNT)).scalar_one() == before + 1
        assert second.in_transaction()
    assert not second.in_transaction()


def test_each_thread_keeps_its_own_and_a_read_within_a_read_gets_another(db: Database) -> None:
    with db.kept_read() as outer, db.kept_read() as inner:
        assert inner is not outer
        inner.execute(text(COUNT))
        # The inner read ended its own transaction, not the outer one's.
        outer.execute(text(COUNT))
        assert outer.in_transaction()
    other: list[object] = []

    def read() -> None:
        with db.kept_read() as connection:
            other.append(connection)

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    with db.kept_read() as again:
        assert again is outer
        assert other[0] is not outer


def test_a_connection_that_failed_is_replaced(db: Database) -> None:
    with db.kept_read() as first:
        pass
    # The driver's connection dies under it (a fault SQLAlchemy counts as a disconnect).
    first.connection.driver_connection.close()  # type: ignore[union-attr]
    with pytest.raises(DBAPIError), db.kept_read() as broken:
        assert broken is first
        broken.execute(text(COUNT))
    with db.kept_read() as fresh:
        assert fresh is not first
        assert fresh.execute(text(COUNT)).scalar_one() >= 0


def test_dispose_closes_every_kept_connection(db: Database) -> None:
    with db.kept_read() as kept:
        kept.execute(text(COUNT))
    db.dispose()
    assert kept.closed
