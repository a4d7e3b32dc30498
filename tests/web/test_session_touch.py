"""When a session's idle deadline moves on, in the database and in Redis."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from live import Account, MakeServer
from oauth.conftest import Browser
from sellergate.accounts.web_sessions import RedisSessions
from sellergate.config import Settings

pytestmark = pytest.mark.databases("sqlite")


@pytest.mark.parametrize("store", ["database", "redis"])
def test_an_idle_period_under_a_minute_never_ends_a_session_in_use(
    make_settings: Callable[..., Settings],
    make_server: MakeServer,
    seller: Account,
    redis_url: str,
    store: str,
) -> None:
    """Regression: the deadline moved on once a minute, so an idle period shorter than that
    ended sessions that were in use."""
    extra = {"redis_url": redis_url} if store == "redis" else {}
    browser = Browser(make_server(make_settings(session_idle="1s", **extra)))
    assert browser.login(seller).status_code == 303
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        assert browser.http.get("/dashboard").status_code == 200
        time.sleep(0.3)
    time.sleep(1.5)
    assert browser.http.get("/dashboard").status_code == 303
    browser.close()


def test_a_redis_session_that_expired_after_it_was_read_is_not_brought_back(
    make_settings: Callable[..., Settings], redis_url: str
) -> None:
    """Regression: the last-seen update recreated an expired key with only that field (and no
    expiry), and every later load of it failed."""
    sessions = RedisSessions(make_settings(redis_url=redis_url), redis_url)
    raw = sessions.start(1, "alice", user_agent="test", address="127.0.0.1")
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    [key] = [str(found) for found in client.keys("sellergate:session:*")]
    fields = client.hgetall(key)
    client.delete(key)  # it expires between the read and the update
    sessions._touch(key.rsplit(":", 1)[1], time.time(), float(fields["ends_at"]))
    assert client.exists(key) == 0
    assert sessions.load(raw) is None
    client.close()


def test_session_cookies_are_signed_with_the_secret_key(
    make_settings: Callable[..., Settings], make_server: MakeServer, seller: Account
) -> None:
    """docs/deployment.md: SELLERGATE_SECRET_KEY signs session cookies, so a seller signed in
    through one node is signed in on another with the same key, and a new key ends sessions."""
    from sellergate.web.sessions import SESSION_COOKIE

    key = "k" * 48
    first = Browser(make_server(make_settings(secret_key=key)))
    assert first.login(seller).status_code == 303
    cookie = first.http.cookies[SESSION_COOKIE]
    raw, _, signature = cookie.rpartition(".")
    assert raw and signature
    same_key = make_server(make_settings(secret_key=key))
    with same_key.client(cookies={SESSION_COOKIE: cookie}) as other_node:
        assert other_node.get("/dashboard").status_code == 200
    other_key = make_server(make_settings(secret_key="o" * 48))
    with other_key.client(cookies={SESSION_COOKIE: cookie}) as rotated:
        refused = rotated.get("/dashboard")
        assert refused.status_code == 303
        assert f"{SESSION_COOKIE}=" in refused.headers.get("set-cookie", "")
    for forged in (raw, f"{raw}.{'A' * len(signature)}", f"{raw}x.{signature}"):
        with same_key.client(cookies={SESSION_COOKIE: forged}) as thief:
            assert thief.get("/dashboard").status_code == 303
    first.close()
