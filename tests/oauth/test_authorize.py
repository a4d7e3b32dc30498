"""The authorization endpoint, login and consent (RFC 6749 §4.1.1-§4.1.2.1)."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from live import Account
from oauth.conftest import (
    REDIRECT_URI,
    App,
    Browser,
    Flow,
    Register,
    callback_params,
    hidden_fields,
)
from sellergate.accounts.clients import disable_client
from sellergate.oauth.metadata import AUTHORIZE_PATH
from sellergate.storage.database import Database


def assert_error_page(response: httpx.Response, error: str) -> None:
    """§4.1.2.1: shown to the seller as a 400 page, never redirected."""
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["x-frame-options"] == "DENY"
    assert error in response.text


def assert_redirected_error(response: httpx.Response, error: str, state: str = "xyz-123") -> None:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    params = callback_params(location)
    assert params["error"] == error
    assert params["error_description"]
    assert params["state"] == state


def test_no_session_goes_to_login_then_back_to_consent(flow: Flow, browser: Browser) -> None:
    response = browser.http.get(flow.url())
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login?next=%2Foauth%2Fconsent%3F")
    page = browser.consent_page(flow.url(), flow.seller)
    assert "Acme Listings" in page.text
    assert "See your orders and their tracking codes" in page.text
    assert "Approve" in page.text and "Deny" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_signed_in_seller_goes_straight_to_consent(flow: Flow, browser: Browser) -> None:
    browser.login(flow.seller)
    response = browser.http.get(flow.url())
    assert response.status_code == 302
    assert response.headers["location"].startswith("/oauth/consent?")


def test_approve_redirects_with_code_and_state(flow: Flow) -> None:
    location = flow.browser.connect(flow.url(), flow.seller)
    params = callback_params(location)
    assert set(params) == {"code", "state", "iss"}
    assert params["iss"] == "http://127.0.0.1:8000"  # RFC 9207: the issuer, on success
    assert params["state"] == "xyz-123"


def test_deny_redirects_with_access_denied_and_state(flow: Flow) -> None:
    location = flow.browser.connect(flow.url(), flow.seller, decision="deny")
    params = callback_params(location)
    assert params["error"] == "access_denied"
    assert params["state"] == "xyz-123"
    assert "code" not in params


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": None}, "invalid_client"),
        ({"client_id": "no-such-app"}, "invalid_client"),
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
        ({"redirect_uri": REDIRECT_URI + "/"}, "invalid_request"),
        ({"redirect_uri": "http://127.0.0.1:10/callback"}, "invalid_request"),
        ({"redirect_uri": 'https://e.example/"\\\u00e9'}, "invalid_request"),
    ],
)
def test_errors_before_client_and_redirect_are_validated_are_pages(
    flow: Flow, change: dict[str, str | None], error: str
) -> None:
    assert_error_page(flow.http.get(flow.url(**change)), error)


def test_repeated_parameter_is_a_page(flow: Flow) -> None:
    query = urlencode(flow.params()) + "&client_id=" + flow.app.client_id
    assert_error_page(flow.http.get(f"{AUTHORIZE_PATH}?{query}"), "invalid_request")


def test_redirect_uri_may_be_left_out_only_with_one_registered(
    flow: Flow, register: Register
) -> None:
    location = flow.browser.connect(flow.url(redirect_uri=None), flow.seller)
    assert location.startswith(REDIRECT_URI + "?code=")
    two = register(redirect_uris=[REDIRECT_URI, "https://acme.example/cb"])
    query = urlencode({**flow.params(redirect_uri=None), "client_id": two.client_id})
    assert_error_page(flow.http.get(f"{AUTHORIZE_PATH}?{query}"), "invalid_request")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "full_access"}, "invalid_scope"),
        ({"scope": "read:customers"}, "invalid_scope"),
        ({"scope": "read:inventory write:orders"}, "invalid_scope"),
        ({"scope": "read:everything"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        # RFC 9449 §10: refused before consent, not once the seller has approved.
        ({"dpop_jkt": "not-a-thumbprint"}, "invalid_request"),
    ],
)
def test_later_errors_redirect_with_state(
    flow: Flow, change: dict[str, str | None], error: str
) -> None:
    if change == {"code_challenge": None}:
        # A confidential app may leave PKCE out only if it leaves out the method too.
        ok = flow.http.get(flow.url(code_challenge=None, code_challenge_method=None))
        assert ok.status_code == 302 and "/login" in ok.headers["location"]
    assert_redirected_error(flow.http.get(flow.url(**change)), error)


def test_scope_left_out_means_the_apps_maximum(flow: Flow) -> None:
    tokens = flow.tokens(scope=None)
    assert tokens["scope"] == "read:inventory write:inventory read:orders"


def test_public_app_must_use_pkce(flow: Flow, public_app: App) -> None:
    flow.app = public_app
    response = flow.http.get(flow.url(code_challenge=None, code_challenge_method=None))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://127.0.0.1/cb?")
    assert callback_params(location)["error"] == "invalid_request"


def test_public_loopback_redirect_matches_on_any_port_but_nothing_else(
    flow: Flow, public_app: App
) -> None:
    flow.app = public_app
    assert flow.http.get(flow.url(redirect_uri="http://127.0.0.1:4242/cb")).status_code == 302
    for bad in ("http://127.0.0.1:4242/other", "http://localhost:4242/cb", "https://127.0.0.1/cb"):
        assert_error_page(flow.http.get(flow.url(redirect_uri=bad)), "invalid_request")


def test_confidential_loopback_redirect_must_match_exactly(flow: Flow) -> None:
    assert_error_page(
        flow.http.get(flow.url(redirect_uri="http://127.0.0.1:11/callback")), "invalid_request"
    )


def test_disabled_app_is_refused_with_a_page(flow: Flow, db: Database) -> None:
    with db.session(write=True) as session:
        disable_client(session, flow.app.client_id)
    response = flow.http.get(flow.url())
    assert_error_page(response, "invalid_client")
    assert "disabled" in response.text


def test_consent_post_without_csrf_token_changes_nothing(flow: Flow, browser: Browser) -> None:
    page = browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    for forged in (
        {**fields, "csrf_token": "forged"},
        {k: v for k, v in fields.items() if k != "csrf_token"},
    ):
        response = browser.http.post("/oauth/consent", data={**forged, "decision": "approve"})
        assert response.status_code == 400
        assert "location" not in response.headers


def test_consent_post_without_session_goes_to_login(flow: Flow, browser: Browser) -> None:
    page = browser.consent_page(flow.url(), flow.seller)
    fields = hidden_fields(page.text)
    with flow.server.client() as stranger:
        response = stranger.post("/oauth/consent", data={**fields, "decision": "approve"})
    assert response.status_code == 400  # no session, so no CSRF token to match


def test_session_cookie_flags(flow: Flow, browser: Browser) -> None:
    response = browser.http.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # staging over http; production adds it


def test_login_is_throttled_per_username_and_address(
    browser: Browser, seller: Account, other_seller: Account
) -> None:
    wrong = Account(seller.id, seller.username, "not-the-password", seller.token)
    for _ in range(5):
        assert browser.login(wrong).status_code == 401
    locked = browser.login(seller)
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.text
    assert int(locked.headers["retry-after"]) > 0
    assert browser.login(other_seller).status_code == 303


def test_login_never_redirects_off_site(browser: Browser, seller: Account) -> None:
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = browser.login(seller, next_url=evil)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"


def test_logout_needs_csrf_and_ends_the_session(flow: Flow, browser: Browser) -> None:
    browser.login(flow.seller)
    assert browser.http.post("/logout", data={}).status_code == 400
    page = browser.consent_page(flow.url(), flow.seller)
    token = hidden_fields(page.text)["csrf_token"]
    assert browser.http.post("/logout", data={"csrf_token": token}).status_code == 303
    assert browser.http.get(flow.url()).headers["location"].startswith("/login")
