"""A code exchange or a refresh stores its access and refresh tokens together
(``accounts.refresh_tokens.mint_token_pair``): one INSERT on PostgreSQL, two on SQLite, and
either way the refresh token's row names the access token issued with it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from gateway.support import app_token
from sellergate.accounts.families import create_grant
from sellergate.accounts.refresh_tokens import mint_token_pair
from sellergate.accounts.sellers import create_seller
from sellergate.oauth.records import PairToMint
from sellergate.scopes import Scope
from sellergate.storage.database import Database
from sellergate.tokens.format import TokenKind, parse
from storedpair import stored_pair


def test_the_pair_is_stored_chained_and_only_as_hashes(db: Database, database: str) -> None:
    inserts: list[str] = []

    def record(*args: object) -> None:
        if str(args[2]).lstrip().upper().startswith(("INSERT", "WITH")):
            inserts.append(str(args[2]))

    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", None)
        app = app_token(session, db.settings, seller.id, [Scope.READ_ORDERS])
        client_pk = app.client_pk
        grant = create_grant(
            session, seller_id=seller.id, client_pk=client_pk, scopes="read:orders"
        )
        expires = datetime.now(UTC) + timedelta(hours=1)
        pair = PairToMint(
            seller_id=seller.id,
            client_pk=client_pk,
            grant_id=grant,
            staging=True,
            access_scopes=frozenset({Scope.READ_ORDERS}),
            access_expires_at=expires,
            access_jkt="a" * 43,
            refresh_scopes="read:orders",
            refresh_ttl=timedelta(days=30),
            refresh_jkt="b" * 43,
            parent_id=None,
        )
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            access_token, refresh_token = mint_token_pair(session.connection(), pair)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert len(inserts) == (1 if database == "postgresql" else 2), inserts
    assert parse(access_token).kind is TokenKind.ACCESS and parse(access_token).staging
    assert parse(refresh_token).kind is TokenKind.REFRESH
    access, refresh = stored_pair(db, access_token, refresh_token)
    stored = {str(value) for row in (access, refresh) for value in vars(row).values()}
    assert access_token not in stored and refresh_token not in stored
    assert refresh.access_token_id == access.id
    assert (access.grant_id, access.client_id, access.seller_id) == (grant, client_pk, seller.id)
    assert (refresh.grant_id, refresh.client_id, refresh.seller_id) == (grant, client_pk, seller.id)
    assert (access.scopes, refresh.scopes) == ("read:orders", "read:orders")
    assert (access.jkt, refresh.jkt) == ("a" * 43, "b" * 43)
    assert access.expires_at == expires and access.last_four == access_token[-4:]
    assert refresh.parent_id is None and refresh.used_at is None
    assert refresh.expires_at - refresh.created_at == timedelta(days=30)
