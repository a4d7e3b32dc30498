"""The consent decision is bound to the request that was shown: a single-use server-side
reference, so a replayed or edited decision is refused and mints no code."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from live import Account
from oauth.conftest import Browser, Flow, callback_params, hidden_fields
from sellergate.storage.database import Database
from sellergate.storage.models import AuthorizationCode, AuthorizationRequest
from sellergate.storage.types import utcnow


def codes(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuthorizationCode)) or 0


def post(browser: Browser, fields: dict[str, str], decision: str = "approve") -> httpx.Response:
    return browser.http.post("/oauth/consent", data={**fields, "decision": decision})


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "cannot be answered" in response.text


def test_the_form_carries_only_a_reference_and_the_csrf_token(flow: Flow, db: Database) -> None:
    page = flow.browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    assert set(fields) == {"csrf_token", "request_reference"}
    assert "redirect_uri" not in page.text.split("<form")[1]
    with db.session() as session:
        stored = session.scalars(select(AuthorizationRequest.reference_hash)).all()
    assert fields["request_reference"] not in stored  # only its hash is kept


def test_a_replayed_decision_is_refused_and_mints_no_code(flow: Flow, db: Database) -> None:
    page = flow.browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    first = post(flow.browser, fields)
    assert first.status_code == 302 and "code" in callback_params(first.headers["location"])
    assert codes(db) == 1
    for decision in ("approve", "deny"):
        assert_refused(post(flow.browser, fields, decision))
    assert codes(db) == 1


def test_an_edited_reference_is_refused(flow: Flow, db: Database) -> None:
    page = flow.browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    reference = fields["request_reference"]
    flipped = ("y" if reference[0] == "x" else "x") + reference[1:]
    for edited in (flipped, "", "a" * 500):
        assert_refused(post(flow.browser, {**fields, "request_reference": edited}))
    # Old-style hidden request fields are ignored: only the stored request counts.
    smuggled = {**fields, "authorization_request": "client_id=evil&redirect_uri=https://evil"}
    location = post(flow.browser, smuggled).headers["location"]
    assert location.startswith(flow.app.redirect_uri)
    assert codes(db) == 1


def test_another_sellers_reference_is_refused(
    flow: Flow, db: Database, other_seller: Account
) -> None:
    page = flow.browser.consent_page(flow.url(), flow.seller)
    reference = hidden_fields(page.text)["request_reference"]
    bob = Browser(flow.server)
    try:
        bob_page = bob.consent_page(flow.url(), other_seller)
        bob_fields = hidden_fields(bob_page.text)
        assert_refused(post(bob, {**bob_fields, "request_reference": reference}))
    finally:
        bob.close()
    assert codes(db) == 0


def test_an_expired_request_is_refused(flow: Flow, db: Database) -> None:
    page = flow.browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    with db.session(write=True) as session:
        session.execute(
            update(AuthorizationRequest).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_refused(post(flow.browser, fields))
    assert codes(db) == 0


def test_a_bad_choice_does_not_spend_the_reference(flow: Flow) -> None:
    page = flow.browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    assert post(flow.browser, fields, "maybe").status_code == 400
    assert post(flow.browser, fields).status_code == 302
