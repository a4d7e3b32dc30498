"""A refresh claim given the pair to issue (``claim_refresh_token(..., successor=...)``): on
PostgreSQL the statement that spends the token also stores the pair, and when it is the first
statement of its transaction it is committed alone, one round trip in all. A token it does not
spend gets no pair and is found again under its family's lock; a statement run in a transaction
already begun stays in it. Elsewhere the successor is left for the grant to mint afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.support import app_token
from sellergate.accounts.refresh_claim import claim_refresh_token
from sellergate.accounts.refresh_tokens import mint_refresh_token
from sellergate.accounts.sellers import create_seller
from sellergate.oauth.records import PresentedRefreshToken, Successor
from sellergate.scopes import Scope
from sellergate.storage.database import POOL_SIZE, Database
from sellergate.storage.models import AccessToken, Grant, RefreshToken
from sellergate.tokens.format import TokenKind, parse
from sellergate.tokens.hashing import token_hash
from storedpair import stored_pair

SCOPES = "read:orders write:orders"


@dataclass(frozen=True)
class Family:
    seller_id: int
    client_pk: int
    grant_id: int
    token: str


def _family(db: Database) -> Family:
    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", None)
        app = app_token(session, db.settings, seller.id, [Scope.READ_ORDERS, Scope.WRITE_ORDERS])
        token = mint_refresh_token(
            session.connection(),
            grant_id=app.grant_id,
            client_pk=app.client_pk,
            seller_id=seller.id,
            scopes=SCOPES,
            staging=True,
            ttl=timedelta(days=1),
        )
    return Family(seller.id, app.client_pk, app.grant_id, token)


def _successor(access_scopes: frozenset[Scope] | None = None) -> Successor:
    return Successor(
        staging=True,
        access_scopes=access_scopes,
        access_expires_at=datetime.now(UTC) + timedelta(minutes=30),
        access_jkt="a" * 43,
        refresh_ttl=timedelta(days=30),
        refresh_jkt="b" * 43,
    )


def _claim(
    connection: Connection,
    family: Family,
    *,
    token: str | None = None,
    successor: Successor | None = None,
    now: datetime | None = None,
) -> PresentedRefreshToken | None:
    return claim_refresh_token(
        connection,
        family.token if token is None else token,
        family.client_pk,
        now=datetime.now(UTC) if now is None else now,
        proof_jkt=None,
        successor=_successor() if successor is None else successor,
    )


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _children(db: Database, parent_id: int) -> int:
    """Refresh tokens chained to ``parent_id``, as another connection sees them now."""
    with db.engine.connect() as other:
        count = other.scalar(
            select(func.count())
            .select_from(RefreshToken)
            .where(RefreshToken.parent_id == parent_id)
        )
    return int(count or 0)


def _spent_seen_elsewhere(db: Database, token: str) -> bool:
    with db.engine.connect() as other:
        used_at = other.scalar(
            select(RefreshToken.used_at).where(RefreshToken.token_hash == token_hash(token))
        )
    return used_at is not None


def test_the_spend_and_the_pair_are_one_statement_committed_alone(
    db: Database, database: str
) -> None:
    family = _family(db)
    now = datetime.now(UTC)
    successor = _successor()
    with db.transaction(write=True) as connection, _statements(db) as seen:
        presented = _claim(connection, family, successor=successor, now=now)
        assert presented is not None and presented.spent
        statements = list(seen)
        committed_already = _spent_seen_elsewhere(db, family.token)
    if database != "postgresql":
        # Left to the grant, which mints the pair after the claim, in the transaction.
        assert presented.token.minted is None and not committed_already
        assert _children(db, presented.token.id) == 0
        return
    assert len(statements) == 1, statements
    assert committed_already  # no BEGIN: the statement was its own transaction
    assert presented.token.minted is not None
    access_token, refresh_token = presented.token.minted
    assert parse(access_token).kind is TokenKind.ACCESS and parse(access_token).staging
    assert parse(refresh_token).kind is TokenKind.REFRESH
    access, refresh = stored_pair(db, access_token, refresh_token)
    assert refresh.parent_id == presented.token.id and refresh.access_token_id == access.id
    for row in (access, refresh):
        assert (row.grant_id, row.client_id, row.seller_id) == (
            family.grant_id,
            family.client_pk,
            family.seller_id,
        )
        assert row.scopes == SCOPES and row.staging
    assert (access.jkt, refresh.jkt) == ("a" * 43, "b" * 43)
    assert access.expires_at == successor.access_expires_at
    assert access.last_four == access_token[-4:] and access.label == ""
    assert refresh.expires_at - refresh.created_at == timedelta(days=30)
    assert refresh.used_at is None and refresh.revoked_at is None


@pytest.mark.databases("postgresql")
def test_a_narrowed_access_scope_is_the_access_tokens_only(db: Database) -> None:
    family = _family(db)
    with db.transaction(write=True) as connection:
        presented = _claim(connection, family, successor=_successor(frozenset({Scope.READ_ORDERS})))
    assert presented is not None and presented.token.minted is not None
    access_token, refresh_token = presented.token.minted
    with db.session() as session:
        access_scopes = session.scalar(
            select(AccessToken.scopes).where(AccessToken.token_hash == token_hash(access_token))
        )
        refresh_scopes = session.scalar(
            select(RefreshToken.scopes).where(RefreshToken.token_hash == token_hash(refresh_token))
        )
    assert (access_scopes, refresh_scopes) == ("read:orders", SCOPES)


@pytest.mark.databases("postgresql")
def test_in_a_transaction_begun_already_the_claim_stays_in_it(db: Database) -> None:
    family = _family(db)
    with pytest.raises(RuntimeError, match="undone"), db.transaction(write=True) as connection:
        connection.execute(text("SELECT 1"))  # the transaction has begun
        presented = _claim(connection, family)
        assert presented is not None and presented.token.minted is not None
        assert not _spent_seen_elsewhere(db, family.token)
        raise RuntimeError("undone")
    assert presented is not None
    assert not _spent_seen_elsewhere(db, family.token)
    assert _children(db, presented.token.id) == 0


def _grant_locked(db: Database, grant_id: int) -> bool:
    with db.engine.connect() as other:
        try:
            other.execute(select(Grant.id).where(Grant.id == grant_id).with_for_update(nowait=True))
        except OperationalError:
            return True
    return False


@pytest.mark.parametrize("change", ["used", "grant revoked"])
def test_a_token_not_spent_gets_no_pair_and_is_answered_locked(
    db: Database, database: str, change: str
) -> None:
    family = _family(db)
    now = datetime.now(UTC)
    with db.session(write=True) as session:
        if change == "used":
            session.execute(
                update(RefreshToken)
                .where(RefreshToken.token_hash == token_hash(family.token))
                .values(used_at=now - timedelta(seconds=5))
            )
        else:
            session.execute(update(Grant).where(Grant.id == family.grant_id).values(revoked_at=now))
    with db.transaction(write=True) as connection:
        presented = _claim(connection, family, now=now)
        assert presented is not None and not presented.spent
        assert presented.token.minted is None
        if database == "postgresql":
            # The rotation's rules go on under the family's lock (SQLite: the write lock).
            assert _grant_locked(db, family.grant_id)
    assert _children(db, presented.token.id) == 0
    if database == "postgresql":
        assert not _grant_locked(db, family.grant_id)


def test_an_unknown_token_is_not_found(db: Database) -> None:
    family = _family(db)
    with db.transaction(write=True) as connection:
        found = _claim(connection, family, token=family.token + "x")
    assert found is None


@pytest.mark.databases("postgresql")
def test_after_the_statement_alone_the_transaction_is_a_transaction_again(
    db: Database,
) -> None:
    family = _family(db)
    with pytest.raises(RuntimeError, match="undone"), db.transaction(write=True) as connection:
        presented = _claim(connection, family)
        assert presented is not None and presented.token.minted is not None
        connection.execute(update(Grant).where(Grant.id == family.grant_id).values(scopes=""))
        raise RuntimeError("undone")
    assert presented is not None
    assert _spent_seen_elsewhere(db, family.token) and _children(db, presented.token.id) == 1
    with db.engine.connect() as other:
        assert other.scalar(select(Grant.scopes).where(Grant.id == family.grant_id)) == SCOPES


@pytest.mark.databases("postgresql")
def test_a_connection_lost_during_the_statement_alone_never_returns_in_autocommit(
    db: Database,
) -> None:
    family = _family(db)
    with pytest.raises(DBAPIError) as lost, db.transaction(write=True) as connection:
        driver: Any = connection.connection.driver_connection
        backend = driver.info.backend_pid
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        _claim(connection, family)
    assert lost.value.connection_invalidated  # answered 503, as any lost connection
    for _ in range(POOL_SIZE + db.settings.database_threads):
        with db.transaction(write=True) as connection:
            driver = connection.connection.driver_connection
            assert not driver.autocommit
    assert not _spent_seen_elsewhere(db, family.token)
