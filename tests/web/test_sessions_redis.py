"""Sessions kept in Redis (``SELLERGATE_REDIS_URL``): the same guarantees as in the database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis
from sqlalchemy import select

from live import Account, MakeServer, Server
from oauth.conftest import Browser, hidden_fields
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.models import WebSession
from sellergate.web.sessions import SESSION_COOKIE

pytestmark = pytest.mark.databases("sqlite")


@pytest.fixture
def settings(make_settings: Callable[..., Settings], redis_url: str) -> Settings:
    made: Settings = make_settings(redis_url=redis_url)
    return made


@pytest.fixture
def second_browser(server: Server) -> Iterator[Browser]:
    opened = Browser(server)
    yield opened
    opened.close()


def redis_dump(url: str) -> str:
    client = redis.Redis.from_url(url, decode_responses=True)
    parts: list[str] = []
    for key in client.keys("*"):
        parts.append(str(key))
        kind = client.type(key)
        if kind == "hash":
            parts += [f"{k!s}={v!s}" for k, v in client.hgetall(key).items()]
        elif kind == "zset":
            parts += [str(member) for member in client.zrange(key, 0, -1)]
    return "\n".join(parts)


def test_sessions_live_in_redis_by_hash_only(
    browser: Browser, seller: Account, db: Database, redis_url: str
) -> None:
    assert browser.login(seller).status_code == 303
    raw = browser.http.cookies[SESSION_COOKIE]
    assert browser.http.get("/dashboard").status_code == 200
    dump = redis_dump(redis_url)
    assert "sellergate:session:" in dump and raw not in dump
    with db.session() as session:
        assert list(session.scalars(select(WebSession))) == []


def test_logout_and_sign_out_everywhere_else_kill_copied_cookies(
    browser: Browser, second_browser: Browser, seller: Account
) -> None:
    browser.login(seller)
    second_browser.login(seller)
    copied = second_browser.http.cookies[SESSION_COOKIE]
    page = browser.http.get("/dashboard/sessions")
    assert page.text.count("data-session-id=") == 2
    token = hidden_fields(page.text)["csrf_token"]
    browser.http.post("/dashboard/sessions/end-others", data={"csrf_token": token})
    after = browser.http.get("/dashboard/sessions")
    assert "Signed out of 1 other session." in after.text
    assert after.text.count("data-session-id=") == 1
    with browser.server.client(cookies={SESSION_COOKIE: copied}) as thief:
        assert thief.get("/dashboard").status_code == 303

    mine = browser.http.cookies[SESSION_COOKIE]
    browser.http.post("/logout", data={"csrf_token": token})
    with browser.server.client(cookies={SESSION_COOKIE: mine}) as thief:
        assert thief.get("/dashboard").status_code == 303


def test_idle_sessions_expire_in_redis(
    make_settings: Callable[..., Settings], make_server: MakeServer, seller: Account, redis_url: str
) -> None:
    server = make_server(make_settings(redis_url=redis_url, session_idle="1s"))
    browser = Browser(server)
    browser.login(seller)
    raw = browser.http.cookies[SESSION_COOKIE]
    time.sleep(1.5)
    with server.client(cookies={SESSION_COOKIE: raw}) as late:
        assert late.get("/dashboard").status_code == 303
    browser.close()
