"""Revocation is a fact about the grant and the app, checked where tokens are used.

These tests revoke the grant or disable the app *without* touching the token rows (as if a
bulk UPDATE had missed them): the bearer check, introspection and the refresh must refuse
anyway, and say why.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, text, update

from oauth.conftest import Flow, hidden_fields
from oauth.test_endpoints import introspect
from oauth.test_token import assert_oauth_error
from sellergate.accounts import bearer, client_tokens, families, refresh_claim
from sellergate.accounts.clients import disable_client, get_client
from sellergate.accounts.families import revoke_families
from sellergate.errors import InvalidGrant
from sellergate.oauth.records import RevocationReason
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind


def challenge(flow: Flow, access_token: str) -> str:
    response = flow.api(access_token)
    assert response.status_code == 401
    return response.headers["www-authenticate"]


def mark_grants_only(db: Database) -> None:
    with db.session(write=True) as session:
        session.execute(update(Grant).values(revoked_at=utcnow()))


def mark_client_only(db: Database) -> None:
    with db.session(write=True) as session:
        session.execute(update(Client).values(disabled_at=utcnow()))


def test_revoked_grant_refuses_tokens_whose_rows_look_live(flow: Flow, db: Database) -> None:
    tokens = flow.tokens()
    assert flow.api(tokens["access_token"]).status_code == 200
    mark_grants_only(db)
    assert "the authorization was revoked" in challenge(flow, tokens["access_token"])
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert introspect(flow, token).json() == {"active": False}
    refused = flow.refresh(tokens["refresh_token"])
    assert_oauth_error(refused, "invalid_grant")
    assert "authorization was revoked" in refused.json()["error_description"]


def test_disabled_app_refuses_tokens_whose_rows_look_live(flow: Flow, db: Database) -> None:
    tokens = flow.tokens()
    mark_client_only(db)
    assert "the app was disabled" in challenge(flow, tokens["access_token"])
    assert_oauth_error(flow.refresh(tokens["refresh_token"]), "invalid_client", 401)


def test_personal_tokens_are_untouched_by_grant_checks(flow: Flow, db: Database) -> None:
    flow.tokens()
    mark_grants_only(db)
    mark_client_only(db)
    assert flow.api(flow.seller.token).status_code == 200


def test_revoke_families_reports_what_it_revoked_and_records_why(flow: Flow, db: Database) -> None:
    flow.tokens()
    flow.tokens()
    with db.session(write=True) as session:
        client_pk = get_client(session, flow.app.client_id).id
        first = revoke_families(
            session, Grant.client_id == client_pk, RevocationReason.DISCONNECTED
        )
        again = revoke_families(
            session, Grant.client_id == client_pk, RevocationReason.CLIENT_DISABLED
        )
        reasons = set(session.scalars(select(Grant.revoked_reason)))
    assert len(first.grants) == 2 and first.tokens == 4
    assert {g.seller_id for g in first.grants} == {flow.seller.id}
    assert {g.client_pk for g in first.grants} == {client_pk}
    assert again.grants == [] and again.tokens == 0 and not again.changed
    assert reasons == {"disconnected"}


def test_disconnect_sweeps_live_rows_an_older_revocation_left(flow: Flow, db: Database) -> None:
    tokens = flow.tokens()
    mark_grants_only(db)  # revoked, but the token rows were never marked
    page = flow.browser.http.get("/dashboard").text
    assert "No apps are connected" in page
    fields = hidden_fields(page)
    url = f"/dashboard/apps/{flow.app.client_id}/disconnect"
    done = flow.browser.http.post(url, data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    assert "was disconnected" in flow.browser.http.get("/dashboard").text
    with db.session() as session:
        live = session.scalars(
            select(RefreshToken.id).where(
                RefreshToken.revoked_at.is_(None), RefreshToken.used_at.is_(None)
            )
        ).all()
        assert live == []
        live_access = session.scalars(
            select(AccessToken.id).where(
                AccessToken.grant_id.is_not(None), AccessToken.revoked_at.is_(None)
            )
        ).all()
        assert live_access == []
    assert flow.refresh(tokens["refresh_token"]).status_code == 400


def test_disable_returns_the_revocation(flow: Flow, db: Database) -> None:
    flow.tokens()
    with db.session(write=True) as session:
        disabled = disable_client(session, flow.app.client_id)
        again = disable_client(session, flow.app.client_id)
    assert len(disabled.revocation.grants) == 1
    assert disabled.revocation.reason is RevocationReason.CLIENT_DISABLED
    assert again.disabled_at == disabled.disabled_at and not again.revocation.changed


def _plan(engine: Engine, statement: Any, **parameters: Any) -> str:
    bound = statement.params(**parameters)
    sql = str(bound.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.mark.databases("sqlite")
def test_token_lookups_are_index_searches_only(db: Database) -> None:
    """The joins read the grant and the app by primary key: no table is scanned."""
    checks: list[tuple[Any, dict[str, Any]]] = [
        (bearer._LOOKUP.statement, {"digest": "x"}),
        (client_tokens._OF_CLIENT[TokenKind.ACCESS].statement, {"digest": "x", "client_pk": 1}),
        (client_tokens._OF_CLIENT[TokenKind.REFRESH].statement, {"digest": "x", "client_pk": 1}),
        (refresh_claim._LOCK.statement, {"digest": "x", "client_pk": 1}),
    ]
    for statement, parameters in checks:
        plan = _plan(db.engine, statement, **parameters)
        steps = plan.split(" | ")
        assert all(step.startswith("SEARCH") for step in steps), plan


def test_no_new_grant_under_a_disabled_app(flow: Flow, db: Database) -> None:
    with db.session(write=True) as session:
        client_pk = get_client(session, flow.app.client_id).id
        disable_client(session, flow.app.client_id)
    with db.session(write=True) as session, pytest.raises(InvalidGrant, match="disabled"):
        families.create_grant(session, seller_id=flow.seller.id, client_pk=client_pk, scopes="")
