"""Redis that cannot answer (``SELLERGATE_REDIS_URL``): sessions and sign-in throttling live
there, so signed-in pages and sign-in answer 503 with ``Retry-After``, never a 500, and a
stopped Redis (SIGSTOP: connections open, nothing answers) cannot hold a request for long."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

import redisserver
from live import Account, MakeServer
from oauth.conftest import Browser
from sellergate.config import Settings
from sellergate.web.sessions import SESSION_COOKIE

pytestmark = pytest.mark.databases("sqlite")

# Two timeouts of half a second each (one retry), plus room for a busy machine.
PATIENCE_SECONDS = 4.0


@pytest.fixture
def own_redis(monkeypatch: pytest.MonkeyPatch) -> Iterator[redisserver.RedisServer]:
    """A Redis server of this test's own, to stop and freeze."""
    monkeypatch.delenv(redisserver.ENV_URL, raising=False)
    server = redisserver.start()
    try:
        yield server
    finally:
        assert server.process is not None
        if server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGCONT)
        server.stop()


def assert_unavailable(response: httpx.Response, started: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert "Traceback" not in response.text and "redis" not in response.text.lower()
    assert time.monotonic() - started < PATIENCE_SECONDS


@pytest.mark.parametrize("fail_open", [True, False], ids=["fail-open", "fail-closed"])
def test_signed_in_pages_and_sign_in_answer_503_while_redis_is_stopped_or_down(
    make_settings: Callable[..., Settings],
    make_server: MakeServer,
    seller: Account,
    own_redis: redisserver.RedisServer,
    fail_open: bool,
) -> None:
    settings = make_settings(redis_url=own_redis.fresh_url(), rate_limit_fail_open=fail_open)
    browser = Browser(make_server(settings))
    assert browser.login(seller).status_code == 303
    assert browser.http.get("/dashboard").status_code == 200
    cookie = browser.http.cookies[SESSION_COOKIE]
    process = own_redis.process
    assert process is not None

    os.kill(process.pid, signal.SIGSTOP)
    started = time.monotonic()
    assert_unavailable(browser.http.get("/dashboard"), started)
    started = time.monotonic()
    form = browser.server.client().post(
        "/login", data={"username": seller.username, "password": seller.password}
    )
    # Refused before Redis is asked (no CSRF token) or by the outage: never a 500.
    assert form.status_code in (400, 403, 503), form.text
    assert time.monotonic() - started < PATIENCE_SECONDS
    os.kill(process.pid, signal.SIGCONT)
    assert browser.http.get("/dashboard").status_code == 200

    process.terminate()
    process.wait(timeout=10)
    started = time.monotonic()
    assert_unavailable(browser.http.get("/dashboard"), started)
    with browser.server.client(cookies={SESSION_COOKIE: cookie}) as other:
        started = time.monotonic()
        assert_unavailable(other.get("/dashboard/security"), started)
    fresh = Browser(browser.server)
    started = time.monotonic()
    assert_unavailable(fresh.login(seller), started)
    fresh.close()
    browser.close()
