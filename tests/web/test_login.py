"""Sign-in, throttling and server-side sessions over HTTP."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy import select

from live import Account, MakeServer, Server
from oauth.conftest import Browser, hidden_fields
from sellergate.accounts.audit import EventKind, list_events
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.models import WebSession
from sellergate.web.sessions import SESSION_COOKIE


def wrong(account: Account) -> Account:
    return Account(account.id, account.username, "not-the-password", account.token)


def kinds(db: Database, seller_id: int | None = None) -> list[str]:
    with db.session() as session:
        return [e.kind for e in reversed(list_events(session, seller_id=seller_id, limit=200))]


@pytest.fixture
def other_browser(server: Server) -> Iterator[Browser]:
    opened = Browser(server)
    yield opened
    opened.close()


def test_locked_account_gets_429_and_no_password_check(
    browser: Browser, seller: Account, db: Database
) -> None:
    for _ in range(5):
        assert browser.login(wrong(seller)).status_code == 401
    for _ in range(3):
        locked = browser.login(seller)
        assert locked.status_code == 429
    assert re.search(
        r"Too many failed attempts\. Try again in \d+ minutes? \(at \d\d:\d\d UTC\)", locked.text
    )
    assert 0 < int(locked.headers["retry-after"]) <= 301
    # A failure is logged only when a password was checked: five, not eight.
    assert kinds(db, seller.id).count(EventKind.SIGNIN_FAILED) == 5
    assert kinds(db, seller.id).count(EventKind.SIGNIN_THROTTLED) == 1
    assert EventKind.SIGNIN_SUCCEEDED not in kinds(db, seller.id)


def test_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(
    make_settings: Callable[..., Settings], make_server: MakeServer, seller: Account
) -> None:
    browser = Browser(make_server(make_settings(login_max_per_address=3)))
    statuses = []
    for i in range(4):
        form = hidden_fields(browser.http.get("/login").text)
        form.update(username=f"nobody{i}", password="guess-guess")
        browser.http.headers["X-Forwarded-For"] = f"203.0.113.{i}"
        statuses.append(browser.http.post("/login", data=form).status_code)
    assert statuses == [401, 401, 401, 429]
    browser.close()


def test_forwarded_for_from_a_trusted_proxy_names_the_client(
    make_settings: Callable[..., Settings], make_server: MakeServer, db: Database, seller: Account
) -> None:
    settings = make_settings(login_max_per_address=3, trusted_proxies="127.0.0.1")
    browser = Browser(make_server(settings))  # the in-process peer is 127.0.0.1, the proxy
    statuses = []
    for i in range(4):
        form = hidden_fields(browser.http.get("/login").text)
        form.update(username=seller.username, password="wrong-password" if i < 3 else "")
        browser.http.headers["X-Forwarded-For"] = f"6.6.6.6, 203.0.113.{i}"
        statuses.append(browser.http.post("/login", data=form).status_code)
    assert statuses == [401, 401, 401, 401]  # four client addresses, none over its limit
    with db.session() as session:
        addresses = [e.address for e in list_events(session, seller_id=seller.id)]
    assert sorted(addresses) == ["203.0.113.0", "203.0.113.1", "203.0.113.2"]
    browser.close()


def test_session_id_changes_at_sign_in_and_only_its_hash_is_stored(
    browser: Browser, seller: Account, db: Database
) -> None:
    assert browser.login(seller).status_code == 303
    first = browser.http.cookies[SESSION_COOKIE]
    assert browser.login(seller).status_code == 303
    second = browser.http.cookies[SESSION_COOKIE]
    assert first != second
    with db.session() as session:
        rows = list(session.scalars(select(WebSession)))
    assert len(rows) == 1  # signing in again replaced the old session
    assert all(first not in r.id_hash and second not in r.id_hash for r in rows)
    with browser.server.client(cookies={SESSION_COOKIE: first}) as old:
        assert old.get("/dashboard").status_code == 303


def test_session_cookie_flags(browser: Browser, seller: Account) -> None:
    response = browser.login(seller)
    cookie = next(
        value for name, value in response.headers.multi_items() if name == "set-cookie"
    ).lower()
    assert cookie.startswith(SESSION_COOKIE)
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_copied_cookie_is_dead_after_logout(
    browser: Browser, seller: Account, db: Database
) -> None:
    browser.login(seller)
    copied = browser.http.cookies[SESSION_COOKIE]
    page = browser.http.get("/dashboard")
    assert page.status_code == 200
    token = hidden_fields(page.text)["csrf_token"]
    assert browser.http.post("/logout", data={"csrf_token": token}).status_code == 303
    with browser.server.client(cookies={SESSION_COOKIE: copied}) as thief:
        response = thief.get("/dashboard")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    assert kinds(db, seller.id).count(EventKind.SESSION_ENDED) == 1


def test_sign_out_everywhere_else(
    browser: Browser, other_browser: Browser, seller: Account, db: Database
) -> None:
    browser.login(seller)
    other_browser.login(seller)
    copied = other_browser.http.cookies[SESSION_COOKIE]
    page = browser.http.get("/dashboard/sessions")
    assert page.status_code == 200
    assert page.text.count("data-session-id=") == 2
    token = hidden_fields(page.text)["csrf_token"]
    assert browser.http.post("/dashboard/sessions/end-others", data={}).status_code == 400
    response = browser.http.post("/dashboard/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Signed out of 1 other session." in browser.http.get("/dashboard/sessions").text
    assert browser.http.get("/dashboard").status_code == 200
    with browser.server.client(cookies={SESSION_COOKIE: copied}) as thief:
        assert thief.get("/dashboard").status_code == 303
    assert other_browser.http.get("/dashboard").status_code == 303
    assert kinds(db, seller.id).count(EventKind.SESSION_ENDED) == 1


@pytest.mark.parametrize("setting", ["session_idle", "session_lifetime"])
def test_sessions_expire(
    make_settings: Callable[..., Settings],
    make_server: MakeServer,
    db: Database,
    seller: Account,
    setting: str,
) -> None:
    server = make_server(make_settings(**{setting: "1s"}))
    browser = Browser(server)
    browser.login(seller)
    raw = browser.http.cookies[SESSION_COOKIE]
    assert browser.http.get("/dashboard").status_code == 200
    time.sleep(1.2)
    with server.client(cookies={SESSION_COOKIE: raw}) as late:
        assert late.get("/dashboard").status_code == 303
    with db.session() as session:
        assert list(session.scalars(select(WebSession))) == []
    browser.close()


def test_anonymous_visits_write_no_session(http: httpx.Client, db: Database) -> None:
    for _ in range(5):
        assert http.get("/login").status_code == 200
    with db.session() as session:
        assert list(session.scalars(select(WebSession))) == []


def test_session_ids_and_passwords_are_never_stored_or_logged(
    browser: Browser, seller: Account, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    from test_no_plaintext_secrets import dump_text

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    browser.login(wrong(seller))
    browser.login(seller)
    secrets = [
        seller.password,
        wrong(seller).password,
        browser.http.cookies[SESSION_COOKIE],
        browser.http.cookies["sellergate_csrf"],
        hidden_fields(browser.http.get("/dashboard").text)["csrf_token"],
    ]
    stored = dump_text(db)
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("session_idle", "0s"),
        ("session_lifetime", "soon"),
        ("audit_retention", "0"),
        ("login_max_per_address", 0),
        ("login_max_failures", -1),
    ],
)
def test_signin_settings_are_validated(
    make_settings: Callable[..., Settings], name: str, value: object
) -> None:
    from sellergate.config import ConfigError

    with pytest.raises(ConfigError, match=f"SELLERGATE_{name.upper()}"):
        make_settings(**{name: value})


@pytest.mark.databases("sqlite")
def test_production_cookies_are_secure(
    make_settings: Callable[..., Settings], make_server: MakeServer, seller: Account
) -> None:
    settings = make_settings(
        env="production", public_url="https://sellers.example", secret_key="k" * 40
    )
    server = make_server(settings)
    with server.client() as first:
        form = first.get("/login")
    assert "; secure" in form.headers["set-cookie"].lower()
    fields = hidden_fields(form.text)
    # The test client speaks plain HTTP, so it is handed the Secure cookie by hand.
    anonymous = {"sellergate_csrf": form.cookies["sellergate_csrf"]}
    with server.client(cookies=anonymous) as client:
        response = client.post(
            "/login",
            data={**fields, "username": seller.username, "password": seller.password},
        )
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(SESSION_COOKIE) and "; secure" in cookie
