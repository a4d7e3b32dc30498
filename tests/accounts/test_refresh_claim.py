"""The refresh claim (``accounts.refresh_claim.claim_refresh_token``) spends a token exactly when
``PresentedRefreshToken.may_spend`` says so: on PostgreSQL that rule is written again in SQL,
in the one statement that finds, locks and spends, and here the two are held to each other over
every combination of the token's state, its family, its app and its key."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from gateway.support import app_token
from sellergate.accounts.refresh_claim import claim_refresh_token
from sellergate.accounts.refresh_tokens import mint_refresh_token
from sellergate.accounts.sellers import create_seller
from sellergate.oauth.records import Successor
from sellergate.scopes import Scope
from sellergate.storage.database import Database
from sellergate.storage.models import Client, Grant, RefreshToken
from sellergate.tokens.hashing import token_hash

KEY, OTHER_KEY = "k" * 43, "o" * 43
STATES = ("live", "used", "revoked", "expired")
# (the key the token is bound to, the key of the proof presented with it)
BINDINGS = ((None, None), (None, KEY), (KEY, KEY), (KEY, OTHER_KEY), (KEY, None))
SUCCESSOR = Successor(
    staging=True,
    access_scopes=None,
    access_expires_at=datetime.now(UTC) + timedelta(hours=1),
    access_jkt=None,
    refresh_ttl=timedelta(days=1),
    refresh_jkt=None,
)


@pytest.mark.parametrize("minting", [False, True], ids=["claim", "claim and mint"])
@pytest.mark.parametrize("state", STATES)
def test_the_claim_spends_exactly_what_may_be_spent(
    db: Database, database: str, state: str, minting: bool
) -> None:
    now = datetime.now(UTC)
    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", None)
        app = app_token(session, db.settings, seller.id, [Scope.READ_ORDERS])
    client_pk, grant_id = app.client_pk, app.grant_id
    statements: list[str] = []

    def record(*args: object) -> None:
        if not str(args[2]).startswith("BEGIN"):
            statements.append(str(args[2]))

    outcomes = set()
    for grant_revoked, client_disabled, (bound, proof) in itertools.product(
        (False, True), (False, True), BINDINGS
    ):
        with db.session(write=True) as session:
            connection = session.connection()
            token = mint_refresh_token(
                connection,
                grant_id=grant_id,
                client_pk=client_pk,
                seller_id=seller.id,
                scopes="",
                staging=True,
                ttl=timedelta(days=1),
                jkt=bound,
            )
            changes = {
                "live": {},
                "used": {"used_at": now - timedelta(seconds=5)},
                "revoked": {"revoked_at": now - timedelta(seconds=5)},
                "expired": {"expires_at": now - timedelta(seconds=5)},
            }[state]
            if changes:
                connection.execute(
                    update(RefreshToken)
                    .where(RefreshToken.token_hash == token_hash(token))
                    .values(**changes)
                )
            connection.execute(
                update(Grant)
                .where(Grant.id == grant_id)
                .values(revoked_at=now if grant_revoked else None)
            )
            connection.execute(
                update(Client)
                .where(Client.id == client_pk)
                .values(disabled_at=now if client_disabled else None)
            )
        statements.clear()
        with db.session(write=True) as session:
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                presented = claim_refresh_token(
                    session.connection(),
                    token,
                    client_pk,
                    now=now,
                    proof_jkt=proof,
                    successor=SUCCESSOR if minting else None,
                )
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        assert presented is not None
        case = (state, grant_revoked, client_disabled, bound, proof)
        expected = presented.may_spend(now, proof)
        assert presented.spent is expected, case
        # The state answered is the one found, before the spend.
        assert presented.state.live(now) is (state == "live"), case
        with db.session() as session:
            used_at = session.scalar(
                select(RefreshToken.used_at).where(RefreshToken.token_hash == token_hash(token))
            )
        assert (used_at == now) is expected, case
        # The pair, when the claim mints it, is stored exactly when the token is spent.
        minted = database == "postgresql" and minting and expected
        assert (presented.token.minted is not None) is minted, case
        with db.session() as session:
            children = session.scalar(
                select(func.count())
                .select_from(RefreshToken)
                .where(RefreshToken.parent_id == presented.token.id)
            )
        assert children == (1 if minted else 0), case
        if database == "postgresql":
            # A claim that minted nothing, run alone, finds the token again under the lock.
            assert len(statements) == (2 if minting and not expected else 1), statements
        else:
            assert len(statements) == (2 if expected else 1), statements
        outcomes.add(expected)
    # Each state met both answers where it could: only a live token is ever spent.
    assert outcomes == ({True, False} if state == "live" else {False})


def test_an_unknown_token_or_another_apps_is_not_found(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", None)
        app = app_token(session, db.settings, seller.id, [Scope.READ_ORDERS])
        token = mint_refresh_token(
            session.connection(),
            grant_id=app.grant_id,
            client_pk=app.client_pk,
            seller_id=seller.id,
            scopes="",
            staging=True,
            ttl=timedelta(days=1),
        )
    with db.session(write=True) as session:
        connection = session.connection()
        other_app = app.client_pk + 1000
        assert claim_refresh_token(connection, token, other_app, now=now, proof_jkt=None) is None
        assert (
            claim_refresh_token(connection, token + "x", app.client_pk, now=now, proof_jkt=None)
            is None
        )
    with db.session() as session:
        assert session.scalar(select(RefreshToken.used_at)) is None
