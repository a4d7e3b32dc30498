"""Forged, tampered, expired, replayed and misaddressed ID tokens and logout tokens, from a
provider the test controls (:mod:`identity.forger`): each is refused with a page, a security-log
line and no session; a valid logout token ends exactly the sessions it names, once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from conftest import PUBLIC_URL
from identity.forger import CLIENT_ID, CLIENT_SECRET, Forger, b64
from inprocess import InProcessServer
from sellergate.accounts.audit import list_events
from sellergate.config import Settings
from sellergate.storage.database import Database

LOGOUT = "/login/oidc/backchannel-logout"


@pytest.fixture(scope="module")
def forger() -> Iterator[Forger]:
    served = Forger()
    served.start()
    yield served
    served.stop()


@pytest.fixture
def settings(make_settings: Callable[..., Settings], forger: Forger) -> Settings:
    forger.forge = forger.sign
    made: Settings = make_settings(
        oidc_issuer=forger.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_display_name="Forgery Market",
    )
    return made


def sign_in(browser: httpx.Client) -> httpx.Response:
    start = browser.get("/login/oidc")
    assert start.status_code == 303, start.text
    with httpx.Client(timeout=10) as upstream:
        back = upstream.get(start.headers["location"])
    return browser.get(back.headers["location"].removeprefix(PUBLIC_URL))


def last_failure(db: Database) -> Any:
    with db.session() as session:
        found = [e for e in list_events(session) if e.kind == "signin.failed"]
    return found[0].details["error"] if found else None


def test_an_honest_token_signs_in(server: InProcessServer, forger: Forger) -> None:
    with server.client() as browser:
        assert sign_in(browser).status_code == 303
        assert browser.get("/dashboard").status_code == 200


def tampered(forger: Forger) -> Callable[[dict[str, Any]], str]:
    def forge(claims: dict[str, Any]) -> str:
        header, _, signature = forger.sign(claims).split(".")
        return ".".join([header, b64({**claims, "sub": "someone-else"}), signature])

    return forge


def alg_none(forger: Forger) -> Callable[[dict[str, Any]], str]:
    return lambda claims: f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def hmac_with_client_secret(forger: Forger) -> Callable[[dict[str, Any]], str]:
    key = OctKey.import_key(CLIENT_SECRET.encode() * 2)
    return lambda claims: jwt.encode({"alg": "HS256"}, claims, key)


def made_up_alg(forger: Forger) -> Callable[[dict[str, Any]], str]:
    return lambda claims: f"{b64({'alg': 'wn_access_tk_x'})}.{b64(claims)}.c2ln"


def unknown_key(forger: Forger) -> Callable[[dict[str, Any]], str]:
    other = RSAKey.generate_key(2048, parameters={"kid": "not-published"})
    return lambda claims: forger.sign(claims, other)


def with_claims(**changes: Any) -> Callable[[Forger], Callable[[dict[str, Any]], str]]:
    def make(forger: Forger) -> Callable[[dict[str, Any]], str]:
        def forge(claims: dict[str, Any]) -> str:
            now = int(time.time())
            values = {k: (v(now) if callable(v) else v) for k, v in changes.items()}
            return forger.sign({**claims, **values})

        return forge

    return make


@pytest.mark.parametrize(
    ("make_forge", "reason"),
    [
        (tampered, "bad_signature"),
        (alg_none, "alg none not accepted"),
        (hmac_with_client_secret, "alg HS256 not accepted"),
        (made_up_alg, "alg unknown not accepted"),
        (unknown_key, "invalid_key_id"),
        (with_claims(aud="someone-else"), "wrong aud"),
        (with_claims(aud=[CLIENT_ID, "other"]), "wrong azp"),
        (with_claims(iss="https://evil.example"), "wrong iss"),
        (with_claims(exp=lambda now: now - 120, iat=lambda now: now - 400), "expired"),
        (with_claims(iat=lambda now: now + 3600), "iat missing or in the future"),
        (with_claims(nonce="a-nonce-from-another-sign-in"), "wrong nonce"),
        (with_claims(nonce=None), "wrong nonce"),
    ],
    ids=[
        "tampered",
        "alg-none",
        "hs256",
        "made-up-alg",
        "unknown-key",
        "wrong-aud",
        "wrong-azp",
        "wrong-iss",
        "expired",
        "future-iat",
        "other-nonce",
        "no-nonce",
    ],
)
def test_a_bad_id_token_is_refused_with_a_page_and_a_log_line(
    server: InProcessServer,
    forger: Forger,
    db: Database,
    make_forge: Callable[[Forger], Callable[[dict[str, Any]], str]],
    reason: str,
) -> None:
    forger.forge = make_forge(forger)
    with server.client() as browser:
        answer = sign_in(browser)
        assert answer.status_code == 400
        assert "does not check out" in answer.text
        assert browser.get("/dashboard").status_code == 303
        assert "sellergate_session" not in browser.cookies
    assert last_failure(db) == f"invalid_id_token: {reason}"


def test_a_replayed_nonce_is_refused(server: InProcessServer, forger: Forger, db: Database) -> None:
    """An ID token captured from one sign-in, presented in the next one."""
    captured: list[str] = []

    def capture(claims: dict[str, Any]) -> str:
        token = captured[0] if captured else forger.sign(claims)
        captured.append(token)
        return token

    forger.forge = capture
    with server.client() as browser:
        assert sign_in(browser).status_code == 303
    with server.client() as browser:
        assert sign_in(browser).status_code == 400
        assert browser.get("/dashboard").status_code == 303
    assert last_failure(db) == "invalid_id_token: wrong nonce"


def signed_in_browsers(
    server: InProcessServer, forger: Forger, sids: list[str]
) -> list[httpx.Client]:
    browsers = []
    for sid in sids:
        forger.sid = sid
        browser = server.client()
        assert sign_in(browser).status_code == 303
        browsers.append(browser)
    forger.sid = "upstream-session-1"
    return browsers


def alive(browser: httpx.Client) -> bool:
    return browser.get("/dashboard").status_code == 200


def test_a_logout_token_ends_the_sessions_of_its_sid_once(
    server: InProcessServer, forger: Forger, db: Database
) -> None:
    first, second = signed_in_browsers(server, forger, ["sid-a", "sid-b"])
    with server.client() as provider:
        token = forger.logout_token(sid="sid-a")
        answer = provider.post(LOGOUT, data={"logout_token": token})
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "no-store"
        assert not alive(first) and alive(second)
        replay = provider.post(LOGOUT, data={"logout_token": token})
        assert replay.status_code == 400
    assert last_failure(db) == "logout: invalid_id_token: jti replayed"
    with db.session() as session:
        ended = [e for e in list_events(session) if e.kind == "session.ended"]
    assert ended[0].details == {"reason": "upstream_logout", "sessions": 1}


def test_a_logout_token_with_only_a_sub_ends_all_its_sessions(
    server: InProcessServer, forger: Forger
) -> None:
    browsers = signed_in_browsers(server, forger, ["sid-c", "sid-d"])
    with server.client() as provider:
        answer = provider.post(LOGOUT, data={"logout_token": forger.logout_token(sid=None)})
        assert answer.status_code == 200
    assert not any(alive(browser) for browser in browsers)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"events": None}, "no back-channel logout event"),
        ({"events": {"http://schemas.openid.net/event/other": {}}}, "no back-channel logout event"),
        ({"nonce": "n"}, "logout token with a nonce"),
        ({"jti": None}, "jti missing"),
        ({"aud": "someone-else"}, "wrong aud"),
        ({"sub": None, "sid": None}, "neither sub nor sid"),
        ({"iat": int(time.time()) - 3600}, "iat too old"),
    ],
    ids=["no-events", "other-event", "nonce", "no-jti", "wrong-aud", "no-sub-or-sid", "old"],
)
def test_a_bad_logout_token_is_refused_and_ends_nothing(
    server: InProcessServer,
    forger: Forger,
    db: Database,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    (browser,) = signed_in_browsers(server, forger, ["sid-e"])
    with server.client() as provider:
        token = forger.logout_token(**{"sid": "sid-e", **overrides})
        assert provider.post(LOGOUT, data={"logout_token": token}).status_code == 400
        forged = forger.logout_token(sid="sid-e").split(".")
        forged[1] = b64({"forged": True})
        assert provider.post(LOGOUT, data={"logout_token": ".".join(forged)}).status_code == 400
        assert provider.post(LOGOUT, data={}).status_code == 400
    assert alive(browser)
    with db.session() as session:
        failures = [e.details["error"] for e in list_events(session) if e.kind == "signin.failed"]
    assert f"logout: invalid_id_token: {reason}" in failures


def test_one_of_two_simultaneous_deliveries_of_a_logout_token_is_accepted(
    server: InProcessServer, forger: Forger
) -> None:
    token = forger.logout_token(sid="sid-f")
    clients = [server.client() for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        answers = sorted(
            pool.map(lambda c: c.post(LOGOUT, data={"logout_token": token}).status_code, clients)
        )
    assert answers == [200, 400]
    for client in clients:
        client.close()
