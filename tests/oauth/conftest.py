"""Fixtures for the OAuth tests: registered apps and a browser that logs in and consents.

``app``          a confidential app (``App``: client_id, secret, redirect_uri, scopes)
``public_app``   a public app (no secret) with a loopback redirect URI
``register``     ``register(name=..., redirect_uris=[...], scopes=[...], public=False) -> App``
``browser``      a :class:`Browser` on the server (cookies kept, redirects not followed)
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from httpx._client import UseClientDefault  # the type of httpx.USE_CLIENT_DEFAULT

from live import Account, Server
from sellergate.accounts.clients import register_client
from sellergate.accounts.secure_links import reveal_link
from sellergate.config import Settings
from sellergate.oauth.metadata import AUTHORIZE_PATH, TOKEN_PATH
from sellergate.storage.database import Database

REDIRECT_URI = "http://127.0.0.1:9/callback"
APP_SCOPES = ["read:inventory", "write:inventory", "read:orders"]

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@dataclass
class App:
    client_id: str
    secret: str | None
    redirect_uri: str
    scopes: list[str]


Register = Callable[..., App]


@pytest.fixture
def register(db: Database, settings: Settings) -> Register:
    def make(
        name: str = "Acme Listings",
        redirect_uris: list[str] | None = None,
        scopes: list[str] | None = None,
        public: bool = False,
    ) -> App:
        uris = redirect_uris or [REDIRECT_URI]
        with db.session(write=True) as session:
            registered = register_client(
                session,
                settings,
                name=name,
                redirect_uris=uris,
                scopes=scopes or APP_SCOPES,
                public=public,
            )
            secret = None
            if registered.link is not None:
                secret = reveal_link(session, registered.link.link).secret
        return App(registered.client_id, secret, uris[0], scopes or APP_SCOPES)

    return make


@pytest.fixture
def app(register: Register) -> App:
    return register()


@pytest.fixture
def public_app(register: Register) -> App:
    return register(name="Acme Mobile", redirect_uris=["http://127.0.0.1/cb"], public=True)


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


class Browser:
    """A seller's browser: keeps cookies, follows our own redirects by hand."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = server.client()

    def close(self) -> None:
        self.http.close()

    def login(self, account: Account, next_url: str = "/dashboard") -> httpx.Response:
        form = self.http.get("/login", params={"next": next_url})
        fields = hidden_fields(form.text)
        fields.update(username=account.username, password=account.password)
        return self.http.post("/login", data=fields)

    def authorize(self, params: dict[str, str] | str) -> httpx.Response:
        query = params if isinstance(params, str) else urlencode(params)
        return self.http.get(f"{AUTHORIZE_PATH}?{query}")

    def consent_page(self, url: str, account: Account) -> httpx.Response:
        """From an authorization URL to the consent page, signing in on the way if asked."""
        response = self.http.get(url)
        assert response.status_code == 302, response.text
        location = response.headers["location"]
        if location.startswith("/login"):
            next_url = parse_qs(urlsplit(location).query)["next"][0]
            signed_in = self.login(account, next_url)
            assert signed_in.status_code == 303, signed_in.text
            location = signed_in.headers["location"]
        page = self.http.get(urljoin(self.server.url, location))
        assert page.status_code == 200, page.text
        return page

    def decide(self, page: httpx.Response, decision: str = "approve") -> str:
        fields = hidden_fields(page.text)
        fields["decision"] = decision
        response = self.http.post("/oauth/consent", data=fields)
        assert response.status_code == 302, response.text
        return response.headers["location"]

    def connect(self, url: str, account: Account, decision: str = "approve") -> str:
        """Sign in and decide; the redirect back to the app (with ``code`` or ``error``)."""
        return self.decide(self.consent_page(url, account), decision)


@pytest.fixture
def browser(server: Server) -> Iterator[Browser]:
    opened = Browser(server)
    yield opened
    opened.close()


def callback_params(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def token_url(server: Server) -> str:
    return server.url + TOKEN_PATH


def pkce_pair() -> tuple[str, str]:
    """A ``(code_verifier, code_challenge)`` pair for S256 (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)
    return verifier, create_s256_code_challenge(verifier)


@dataclass
class Flow:
    """Drives the whole flow for one app and one seller, with raw HTTP."""

    server: Server
    http: httpx.Client
    browser: Browser
    app: App
    seller: Account

    def params(self, **overrides: str | None) -> dict[str, str]:
        verifier, challenge = pkce_pair()
        self.verifier = verifier
        values: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.app.client_id,
            "redirect_uri": self.app.redirect_uri,
            "scope": "read:inventory read:orders",
            "state": "xyz-123",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}

    def url(self, **overrides: str | None) -> str:
        return f"{AUTHORIZE_PATH}?{urlencode(self.params(**overrides))}"

    def code(self, **overrides: str | None) -> str:
        location = self.browser.connect(self.url(**overrides), self.seller)
        return callback_params(location)["code"]

    def auth(self, app: App | None = None) -> tuple[str, str] | UseClientDefault:
        """HTTP Basic credentials of a confidential app; a public app sends none."""
        app = app or self.app
        return (app.client_id, app.secret) if app.secret else httpx.USE_CLIENT_DEFAULT

    def post(self, path: str, data: dict[str, str], app: App | None = None) -> httpx.Response:
        app = app or self.app
        if app.secret is None:
            data = {"client_id": app.client_id, **data}
        return self.http.post(path, data=data, auth=self.auth(app))

    def exchange(self, code: str, app: App | None = None, **extra: str) -> httpx.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": (app or self.app).redirect_uri,
            "code_verifier": self.verifier,
            **extra,
        }
        return self.post(TOKEN_PATH, {k: v for k, v in data.items() if v}, app)

    def tokens(self, **overrides: str | None) -> dict[str, str]:
        response = self.exchange(self.code(**overrides))
        assert response.status_code == 200, response.text
        body: dict[str, str] = response.json()
        return body

    def refresh(self, refresh_token: str, app: App | None = None, **extra: str) -> httpx.Response:
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
        return self.post(TOKEN_PATH, data, app)

    def api(self, access_token: str) -> httpx.Response:
        return self.http.post(
            "/seller-api/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {access_token}"},
        )


@pytest.fixture
def flow(server: Server, http: httpx.Client, browser: Browser, app: App, seller: Account) -> Flow:
    return Flow(server, http, browser, app, seller)
