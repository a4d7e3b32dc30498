"""The security log from the seller's side: every event they cause lands once, no secret in it."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from live import Account
from oauth.conftest import Flow, hidden_fields
from sellergate.accounts.audit import EventKind
from sellergate.storage.database import Database
from sellergate.storage.models import SecurityEvent


def post_form(http: httpx.Client, page: str, path: str, **extra: str) -> httpx.Response:
    fields = hidden_fields(http.get(page).text)
    return http.post(path, data={"csrf_token": fields["csrf_token"], **extra})


def all_events(db: Database) -> list[SecurityEvent]:
    with db.session() as session:
        return list(session.scalars(select(SecurityEvent).order_by(SecurityEvent.id)))


def test_every_seller_event_is_logged_once_without_secrets(
    flow: Flow, seller: Account, db: Database
) -> None:
    secrets: list[str] = [seller.password, seller.token]
    browser = flow.browser
    wrong = Account(seller.id, seller.username, "wrong-password-1", seller.token)
    secrets.append(wrong.password)
    assert browser.login(wrong).status_code == 401
    assert browser.login(seller).status_code == 303
    secrets.append(browser.http.cookies["sellergate_session"])

    created = post_form(browser.http, "/dashboard", "/dashboard/tokens", label="ci", expires="30")
    link = created.headers["location"]
    secrets.append(link.rsplit("/", 1)[1])
    token = browser.http.post(link + "/reveal", headers={"Accept": "application/json"})
    secrets.append(token.json()["secret"])
    token_id = next(e.details for e in all_events(db) if e.kind == EventKind.TOKEN_ISSUED)
    issued_id = json.loads(token_id)["token_id"]
    rotated = post_form(
        browser.http,
        "/dashboard",
        f"/dashboard/tokens/{issued_id}/rotate",
        confirm="yes",
        grace="0",
    )
    secrets.append(rotated.headers["location"].rsplit("/", 1)[1])
    new_id = issued_id + 1
    post_form(browser.http, "/dashboard", f"/dashboard/tokens/{new_id}/revoke", confirm="yes")

    tokens = flow.tokens()
    secrets += [tokens["access_token"], tokens["refresh_token"]]
    assert flow.app.secret
    secrets.append(flow.app.secret)
    post_form(
        browser.http,
        "/dashboard",
        f"/dashboard/apps/{flow.app.client_id}/disconnect",
        confirm="yes",
    )
    log = browser.http.get("/dashboard/security")
    assert log.status_code == 200
    post_form(browser.http, "/dashboard", "/logout")

    events = all_events(db)
    counts = Counter(e.kind for e in events)
    assert counts == {
        EventKind.SIGNIN_FAILED: 1,
        EventKind.SIGNIN_SUCCEEDED: 1,
        EventKind.TOKEN_ISSUED: 1,
        EventKind.TOKEN_REVEALED: 1,
        EventKind.TOKEN_ROTATED: 1,
        EventKind.TOKEN_REVOKED: 1,
        EventKind.APP_AUTHORIZED: 1,
        EventKind.APP_DISCONNECTED: 1,
        EventKind.SESSION_ENDED: 1,
    }
    assert all(e.seller_id == seller.id and e.address == "127.0.0.1" for e in events)
    disconnected = next(e for e in events if e.kind == EventKind.APP_DISCONNECTED)
    assert disconnected.client_id == flow.app.client_id
    authorized = next(e for e in events if e.kind == EventKind.APP_AUTHORIZED)
    assert authorized.client_id == flow.app.client_id
    assert json.loads(authorized.details) == {"scopes": "read:inventory read:orders"}
    dump = json.dumps([[e.kind, e.client_id, e.actor, e.address, e.details] for e in events])
    for secret in secrets:
        assert secret not in dump
    for kind in ("Personal token created", "Personal token rotated", "App disconnected"):
        assert kind in log.text


def test_refresh_reuse_is_logged_once_with_the_app_and_address(
    flow: Flow, seller: Account, db: Database
) -> None:
    first = flow.tokens()["refresh_token"]
    second = flow.refresh(first).json()["refresh_token"]
    assert flow.refresh(second).status_code == 200
    # The first token's successor has been used: presenting it again is theft, not a retry.
    replayed = flow.refresh(first)
    assert replayed.status_code == 400
    assert flow.refresh(first).status_code == 400  # the family is revoked already: no new event
    reuse = [e for e in all_events(db) if e.kind == EventKind.REFRESH_REUSE]
    assert len(reuse) == 1
    assert reuse[0].seller_id == seller.id
    assert reuse[0].client_id == flow.app.client_id
    assert reuse[0].actor == "app"
    assert reuse[0].address == "127.0.0.1"
    assert first not in reuse[0].details and second not in reuse[0].details


def test_security_page_is_the_sellers_own_newest_first_and_paged(
    flow: Flow, seller: Account, other_seller: Account, db: Database
) -> None:
    browser = flow.browser
    for _ in range(3):
        assert browser.login(other_seller).status_code == 303
    for _ in range(60):
        assert browser.login(seller).status_code == 303
    first = browser.http.get("/dashboard/security")
    assert first.status_code == 200
    assert first.text.count('data-kind="signin.succeeded"') == 50
    older = first.text.split('href="/dashboard/security?before=')[1].split('"')[0]
    second = browser.http.get("/dashboard/security?" + urlencode({"before": older}))
    assert second.text.count('data-kind="signin.succeeded"') == 10
    assert "Older events" not in second.text
    with browser.server.client() as anonymous:
        assert anonymous.get("/dashboard/security").status_code == 303
