"""The seller dashboard over HTTP: login required, CSRF, create/rotate/revoke, connected apps."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from live import Account
from oauth.conftest import Browser, Flow, hidden_fields
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.web.dashboard import parse_expiry

GRAPHQL = "/seller-api/graphql"


def me(http: httpx.Client, token: str) -> httpx.Response:
    return http.post(
        GRAPHQL, json={"query": "{ me { username } }"}, headers={"Authorization": f"Bearer {token}"}
    )


def signed_in(browser: Browser, seller: Account) -> dict[str, str]:
    assert browser.login(seller).status_code == 303
    page = browser.http.get("/dashboard")
    assert page.status_code == 200
    return hidden_fields(page.text)


def reveal(browser: Browser, location: str) -> str:
    assert location.startswith("/secure-links/")
    answer = browser.http.post(location + "/reveal", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    secret: str = answer.json()["secret"]
    return secret


def test_dashboard_needs_login(http: httpx.Client) -> None:
    response = http.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"
    assert http.post("/dashboard/tokens", data={"label": "x"}).status_code == 303


def test_create_reveals_once_through_a_secure_link(
    browser: Browser, seller: Account, http: httpx.Client
) -> None:
    fields = signed_in(browser, seller)
    created = browser.http.post(
        "/dashboard/tokens", data={**fields, "label": "sync script", "expires": "7"}
    )
    assert created.status_code == 303
    location = created.headers["location"]
    token = reveal(browser, location)
    assert token.startswith("wn_access_tk_test_")
    assert me(http, token).status_code == 200
    again = browser.http.post(location + "/reveal", headers={"Accept": "application/json"})
    assert again.status_code == 410
    page = browser.http.get("/dashboard").text
    assert "sync script" in page and token[-4:] in page and token not in page


def token_count(browser: Browser) -> int:
    return browser.http.get("/dashboard").text.count("data-token-id")


def newest_token_id(browser: Browser) -> int:
    page = browser.http.get("/dashboard").text
    return max(int(found) for found in re.findall(r'data-token-id="(\d+)"', page))


def test_forms_refuse_a_missing_csrf_token(browser: Browser, seller: Account) -> None:
    signed_in(browser, seller)
    before = token_count(browser)
    response = browser.http.post("/dashboard/tokens", data={"label": "x", "expires": "7"})
    assert response.status_code == 400
    assert token_count(browser) == before


def test_bad_input_keeps_the_form_and_changes_nothing(browser: Browser, seller: Account) -> None:
    fields = signed_in(browser, seller)
    before = token_count(browser)
    response = browser.http.post(
        "/dashboard/tokens", data={**fields, "label": "dated", "expires": "date", "expires_on": ""}
    )
    assert response.status_code == 400
    assert "expiry date" in response.text and 'value="dated"' in response.text
    assert token_count(browser) == before


def test_rotate_and_revoke_ask_first_then_act(
    browser: Browser, seller: Account, http: httpx.Client
) -> None:
    fields = signed_in(browser, seller)
    location = browser.http.post(
        "/dashboard/tokens", data={**fields, "label": "ci", "expires": "never"}
    ).headers["location"]
    old = reveal(browser, location)
    token_id = newest_token_id(browser)

    ask = browser.http.post(f"/dashboard/tokens/{token_id}/rotate", data=fields)
    assert ask.status_code == 200 and "Rotate this token?" in ask.text
    assert me(http, old).status_code == 200
    rotated = browser.http.post(
        f"/dashboard/tokens/{token_id}/rotate", data={**fields, "confirm": "yes", "grace": "0"}
    )
    assert rotated.status_code == 303
    new = reveal(browser, rotated.headers["location"])
    assert me(http, old).status_code == 401
    assert me(http, new).status_code == 200

    new_id = newest_token_id(browser)
    ask = browser.http.post(f"/dashboard/tokens/{new_id}/revoke", data=fields)
    assert "Revoke this token?" in ask.text
    assert me(http, new).status_code == 200
    done = browser.http.post(
        f"/dashboard/tokens/{new_id}/revoke", data={**fields, "confirm": "yes"}
    )
    assert done.status_code == 303
    assert me(http, new).status_code == 401
    assert "Token revoked" in browser.http.get("/dashboard").text


def test_another_sellers_token_is_not_found(
    browser: Browser, seller: Account, other_seller: Account, db: Database
) -> None:
    from sellergate.accounts.personal_tokens import issue_token, list_tokens

    with db.session(write=True) as session:
        issue_token(session, browser.server.app.state.settings, other_seller.username, label="b")
        theirs = list_tokens(session, other_seller.id)[-1].id
    fields = signed_in(browser, seller)
    response = browser.http.post(
        f"/dashboard/tokens/{theirs}/revoke", data={**fields, "confirm": "yes"}
    )
    assert response.status_code == 303
    assert "Could not revoke" in browser.http.get("/dashboard").text
    with db.session() as session:
        assert list_tokens(session, other_seller.id)[-1].revoked_at is None


def test_disconnect_revokes_every_token_of_the_app(flow: Flow, http: httpx.Client) -> None:
    first = flow.tokens()
    second = flow.tokens()
    assert me(http, first["access_token"]).status_code == 200
    page = flow.browser.http.get("/dashboard").text
    assert "Acme Listings" in page and "Unverified developer" in page
    fields = hidden_fields(page)
    url = f"/dashboard/apps/{flow.app.client_id}/disconnect"
    ask = flow.browser.http.post(url, data=fields)
    assert "Disconnect Acme Listings?" in ask.text
    done = flow.browser.http.post(url, data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    for tokens in (first, second):
        assert me(http, tokens["access_token"]).status_code == 401
        assert flow.refresh(tokens["refresh_token"]).status_code == 400
    page = flow.browser.http.get("/dashboard").text
    assert "was disconnected" in page and "No apps are connected" in page


@pytest.mark.parametrize(
    ("choice", "on_date", "days"), [("7", "", 7), ("90", "", 90), ("never", "", None)]
)
def test_expiry_presets(choice: str, on_date: str, days: int | None) -> None:
    lifetime = parse_expiry(choice, on_date, utcnow())
    assert lifetime == (timedelta(days=days) if days else None)


def test_expiry_on_a_date_ends_that_day() -> None:
    now = utcnow()
    day = (now + timedelta(days=3)).date().isoformat()
    lifetime = parse_expiry("date", day, now)
    assert lifetime is not None and (now + lifetime).date().isoformat() == day
