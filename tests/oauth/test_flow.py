"""End to end with an unmodified client library (requests-oauthlib): authorization code with
PKCE through the login and consent pages, the API with the token, refresh with rotation."""

from __future__ import annotations

import httpx
import pytest
from requests_oauthlib import OAuth2Session

from live import Account, LiveServer
from oauth.conftest import App, Browser, callback_params, token_url
from sellergate.oauth.metadata import AUTHORIZE_PATH


@pytest.fixture
def server(live_server: LiveServer) -> LiveServer:
    """A real socket: the client library opens its own connections."""
    return live_server


@pytest.fixture(autouse=True)
def _plain_http_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    # oauthlib refuses http:// URLs unless told otherwise; the test server is on loopback.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def me(http: httpx.Client, token: str) -> httpx.Response:
    return http.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_confidential_app_connects_with_requests_oauthlib(
    server: LiveServer, http: httpx.Client, browser: Browser, app: App, seller: Account
) -> None:
    session = OAuth2Session(
        app.client_id, redirect_uri=app.redirect_uri, scope=["read:inventory"], pkce="S256"
    )
    url, state = session.authorization_url(server.url + AUTHORIZE_PATH)
    page = browser.consent_page(url, seller)
    assert "Acme Listings" in page.text
    assert "See your products, variants and listings" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    location = browser.decide(page)
    assert location.startswith(app.redirect_uri + "?")
    assert callback_params(location)["state"] == state

    token = session.fetch_token(
        token_url(server), authorization_response=location, client_secret=app.secret
    )
    assert token["token_type"] == "Bearer"
    assert token["access_token"].startswith("wn_access_tk_test_")
    assert token["refresh_token"].startswith("wn_refresh_tk_test_")
    assert token["expires_in"] == 3600
    assert token["scope"] == ["read:inventory"]
    answer = me(http, token["access_token"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["me"]["username"] == seller.username

    refreshed = session.refresh_token(
        token_url(server), client_id=app.client_id, client_secret=app.secret
    )
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert me(http, refreshed["access_token"]).status_code == 200


def test_public_app_connects_with_pkce_and_no_secret(
    server: LiveServer, http: httpx.Client, browser: Browser, public_app: App, seller: Account
) -> None:
    redirect = "http://127.0.0.1:53117/cb"  # RFC 8252: any port on loopback
    session = OAuth2Session(
        public_app.client_id, redirect_uri=redirect, scope=["read:orders"], pkce="S256"
    )
    url, _ = session.authorization_url(server.url + AUTHORIZE_PATH)
    location = browser.connect(url, seller)
    assert location.startswith(redirect + "?")
    token = session.fetch_token(
        token_url(server), authorization_response=location, include_client_id=True
    )
    assert me(http, token["access_token"]).status_code == 200
    refreshed = session.refresh_token(token_url(server), client_id=public_app.client_id)
    assert refreshed["access_token"] != token["access_token"]
