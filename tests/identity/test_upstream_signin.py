"""Sign-in through a real OpenID Connect provider (oidc-provider in Node), end to end over HTTP:
the app's pages in this process, the provider in its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from conftest import PUBLIC_URL
from inprocess import InProcessServer
from live import Account
from oauth.conftest import App, callback_params, hidden_fields, pkce_pair
from oauth.conftest import app as app
from oauth.conftest import register as register
from oidcprovider import OidcProvider, provider_settings, upstream_sign_in
from sellergate.accounts.audit import list_events
from sellergate.accounts.identities import link_identity, list_sellers
from sellergate.config import Settings
from sellergate.identity import provider as provider_module
from sellergate.oauth.metadata import AUTHORIZE_PATH, TOKEN_PATH
from sellergate.storage.database import Database

GRAPHQL = "/seller-api/graphql"
MakeServer = Callable[..., InProcessServer]


@pytest.fixture
def settings(make_settings: Callable[..., Settings], oidc_provider: OidcProvider) -> Settings:
    oidc_provider.register(PUBLIC_URL)
    made: Settings = make_settings(**provider_settings(oidc_provider))
    return made


def me(http: httpx.Client, token: str) -> str:
    answer = http.post(
        GRAPHQL, json={"query": "{ me { username } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    username: str = answer.json()["data"]["me"]["username"]
    return username


def events(db: Database, kind: str) -> list[dict[str, object]]:
    with db.session() as session:
        return [
            {"seller": event.seller, **event.details}
            for event in reversed(list_events(session, limit=200))
            if event.kind == kind
        ]


def test_a_seller_only_upstream_signs_in_approves_an_app_and_gets_a_personal_token(
    server: InProcessServer,
    oidc_provider: OidcProvider,
    db: Database,
    app: App,
) -> None:
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": app.redirect_uri,
            "scope": "read:inventory read:orders",
            "state": "s-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    with server.client() as browser, server.client() as http:
        authorize = browser.get(f"{AUTHORIZE_PATH}?{query}")
        assert authorize.status_code == 302
        login = authorize.headers["location"]
        assert login.startswith("/login?next=")
        page = browser.get(login)
        assert "Sign in with Acme Market" in page.text
        next_url = parse_qs(urlsplit(login).query)["next"][0]
        back = upstream_sign_in(
            browser,
            PUBLIC_URL,
            oidc_provider,
            "dana",
            start=f"/login/oidc?{urlencode({'next': next_url})}",
        )
        assert back.status_code == 303, back.text
        # The authorization resumes at its consent page, as after a password sign-in.
        assert back.headers["location"] == next_url
        consent = browser.get(next_url)
        assert consent.status_code == 200 and "dana" in consent.text
        fields = {**hidden_fields(consent.text), "decision": "approve"}
        decided = browser.post("/oauth/consent", data=fields)
        assert decided.status_code == 302
        code = callback_params(decided.headers["location"])["code"]
        tokens = http.post(
            TOKEN_PATH,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.secret or ""),
        )
        assert tokens.status_code == 200, tokens.text
        assert me(http, tokens.json()["access_token"]) == "dana"

        dashboard = browser.get("/dashboard")
        created = browser.post(
            "/dashboard/tokens",
            data={**hidden_fields(dashboard.text), "label": "sync", "expires": "7"},
        )
        assert created.status_code == 303
        revealed = browser.post(
            created.headers["location"] + "/reveal", headers={"Accept": "application/json"}
        )
        assert me(http, revealed.json()["secret"]) == "dana"

    with db.session() as session:
        (seller,) = [s for s in list_sellers(session) if s.username == "dana"]
    assert seller.methods == ["oidc"] and seller.email == "dana@example.test"
    (succeeded,) = events(db, "signin.succeeded")
    assert succeeded == {"seller": "dana", "method": "oidc", "created": True}


def test_a_dashboard_page_resumes_after_the_round_trip_and_the_session_id_changes(
    server: InProcessServer, oidc_provider: OidcProvider
) -> None:
    with server.client() as browser:
        assert upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "erin").status_code == 303
        first = browser.cookies.get("sellergate_session")
        back = upstream_sign_in(
            browser,
            PUBLIC_URL,
            oidc_provider,
            "erin",
            start="/login/oidc?next=/dashboard/security",
        )
        assert back.headers["location"] == "/dashboard/security"
        second = browser.cookies.get("sellergate_session")
        assert first and second and first != second
        assert browser.get("/dashboard/security").status_code == 200


def test_username_collision_gets_a_distinct_name_and_never_the_existing_seller(
    server: InProcessServer, oidc_provider: OidcProvider, seller: Account, db: Database
) -> None:
    oidc_provider.set_claims("mallory", preferred_username=seller.username)
    with server.client() as browser:
        back = upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "mallory")
        assert back.status_code == 303
        page = browser.get("/dashboard")
        assert f"{seller.username}-2" in page.text
    with db.session() as session:
        names = {s.username: s.methods for s in list_sellers(session)}
    assert names[seller.username] == ["password"]
    assert names[f"{seller.username}-2"] == ["oidc"]


def test_claims_are_refreshed_at_each_sign_in_but_never_into_another_sellers_name(
    server: InProcessServer, oidc_provider: OidcProvider, seller: Account, db: Database
) -> None:
    oidc_provider.set_claims("frank", preferred_username="frank", email="f@example.test")
    with server.client() as browser:
        upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "frank")
    oidc_provider.set_claims("frank", preferred_username="franky", email="new@example.test")
    with server.client() as browser:
        upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "frank")
    oidc_provider.set_claims("frank", preferred_username=seller.username, email="new@example.test")
    with server.client() as browser:
        assert upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "frank").status_code == 303
    with db.session() as session:
        found = {s.username: s.email for s in list_sellers(session)}
    assert found["franky"] == "new@example.test"
    assert seller.username in found and "frank" not in found


@pytest.fixture
def linked_server(
    make_settings: Callable[..., Settings],
    oidc_provider: OidcProvider,
    make_server: MakeServer,
    db: Database,
) -> InProcessServer:
    oidc_provider.register(PUBLIC_URL)
    return make_server(
        make_settings(**provider_settings(oidc_provider, oidc_provisioning="linked"))
    )


def test_linked_provisioning_signs_in_only_linked_sellers(
    linked_server: InProcessServer, oidc_provider: OidcProvider, seller: Account, db: Database
) -> None:
    oidc_provider.set_claims("gina", preferred_username=seller.username)
    with linked_server.client() as browser:
        refused = upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "gina")
        assert refused.status_code == 403
        assert "No seller account is linked" in refused.text
        assert browser.get("/dashboard").status_code == 303  # no session
    assert events(db, "signin.failed")[-1]["error"] == "not_linked"
    with db.session(write=True) as session:
        link_identity(session, seller.username, oidc_provider.issuer, "gina")
    with linked_server.client() as browser:
        assert upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "gina").status_code == 303
        assert seller.username in browser.get("/dashboard").text


def callback_path(browser: httpx.Client, login: str) -> str:
    """Sign in at the provider and stop before the app sees the return: its path and query."""
    start = browser.get("/login/oidc")
    with httpx.Client(timeout=10) as upstream:
        response = upstream.get(start.headers["location"])
        for _ in range(12):
            location: str = response.headers.get("location", "")
            if location.startswith(PUBLIC_URL):
                return location[len(PUBLIC_URL) :]
            if response.status_code == 200:
                action = response.text.split('action="', 1)[1].split('"', 1)[0]
                fields = {"prompt": "login" if 'name="login"' in response.text else "consent"}
                fields.update(login=login, password="x")
                response = upstream.post(str(response.url.join(action)), data=fields)
            else:
                response = upstream.get(str(response.url.join(location)))
    raise AssertionError("the provider did not send the browser back")


def test_a_replayed_or_foreign_state_is_refused(
    server: InProcessServer, oidc_provider: OidcProvider, db: Database
) -> None:
    with server.client() as browser:
        callback = callback_path(browser, "hana")
        with server.client() as other_browser:
            other_browser.get("/login/oidc")  # a sign-in of its own, so a binding cookie
            stolen = other_browser.get(callback)  # the right state, but not this browser's
            assert stolen.status_code == 400
        assert browser.get(callback).status_code == 303
        replayed = browser.get(callback)
        assert replayed.status_code == 400
        assert "already used" in replayed.text
    failures = [event["error"] for event in events(db, "signin.failed")]
    assert failures.count("invalid_state") == 2


def test_the_providers_refusal_is_a_page_and_a_log_line(
    server: InProcessServer, db: Database
) -> None:
    with server.client() as browser:
        start = browser.get("/login/oidc")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        refused = browser.get(
            f"/login/oidc/callback?error=access_denied&state={state}"
            "&error_description=The+end-user+refused"
        )
        assert refused.status_code == 403
        assert "Acme Market did not sign you in (access_denied)" in refused.text
        assert browser.get("/dashboard").status_code == 303
    assert events(db, "signin.failed")[-1] == {
        "seller": None,
        "method": "oidc",
        "error": "upstream: access_denied",
    }


def test_a_provider_that_is_down_or_slow_gives_503_and_no_session(
    make_settings: Callable[..., Settings],
    oidc_provider: OidcProvider,
    make_server: MakeServer,
    db: Database,
) -> None:
    from live import free_port

    down = make_server(
        make_settings(
            oidc_issuer=f"http://127.0.0.1:{free_port()}",
            oidc_client_id="x",
            oidc_client_secret="y",
        )
    )
    with down.client() as browser:
        answer = browser.get("/login/oidc")
        assert answer.status_code == 503
        assert "not answering" in answer.text
    assert events(db, "signin.failed")[-1]["error"] == "provider_unavailable: discovery unreachable"

    oidc_provider.register(PUBLIC_URL)
    slow = make_server(make_settings(**provider_settings(oidc_provider, oidc_timeout_seconds=0.5)))
    oidc_provider.delay_token_endpoint(1500)
    started = time.monotonic()
    with slow.client() as browser:
        answer = upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "ivan")
        assert answer.status_code == 503
        assert browser.get("/dashboard").status_code == 303
    assert time.monotonic() - started < 5
    assert events(db, "signin.failed")[-1]["error"] == (
        "provider_unavailable: token endpoint timed out"
    )


def test_a_rotated_signing_key_is_fetched_when_its_kid_appears(
    server: InProcessServer, oidc_provider: OidcProvider
) -> None:
    with server.client() as browser:
        assert upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "judy").status_code == 303
    oidc_provider.rotate_keys()
    oidc_provider.register(PUBLIC_URL)  # the rebuilt provider keeps its keys
    time.sleep(provider_module.REFETCH_INTERVAL)
    with server.client() as browser:
        assert upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "judy").status_code == 303
        assert browser.get("/dashboard").status_code == 200


def test_callbacks_are_throttled_per_address(
    make_settings: Callable[..., Settings],
    oidc_provider: OidcProvider,
    make_server: MakeServer,
    db: Database,
) -> None:
    limited = make_server(
        make_settings(**provider_settings(oidc_provider, login_max_per_address=3))
    )
    with limited.client() as browser:
        browser.get("/login/oidc")  # the binding cookie: without it nothing is even counted
        answers = [
            browser.get(f"/login/oidc/callback?state=s{n}&code=c").status_code for n in range(4)
        ]
        assert answers == [400, 400, 400, 429]
    assert events(db, "signin.throttled")[-1]["limit"] == "address"


def test_password_login_can_be_turned_off(
    make_settings: Callable[..., Settings],
    oidc_provider: OidcProvider,
    make_server: MakeServer,
    seller: Account,
) -> None:
    served = make_server(make_settings(**provider_settings(oidc_provider, password_login=False)))
    with served.client() as browser:
        page = browser.get("/login")
        assert "Sign in with Acme Market" in page.text
        assert 'name="password"' not in page.text and 'action="/login"' not in page.text
        fields = {"csrf_token": "x", "username": seller.username, "password": seller.password}
        refused = browser.post("/login", data=fields)
        assert refused.status_code == 403
        assert browser.get("/dashboard").status_code == 303


def test_without_a_provider_there_is_no_button_and_no_route(
    make_settings: Callable[..., Settings], make_server: MakeServer
) -> None:
    served = make_server(make_settings())
    with served.client() as browser:
        assert 'id="oidc-signin"' not in browser.get("/login").text
        assert browser.get("/login/oidc").status_code == 404


def test_one_of_two_simultaneous_returns_with_the_same_state_wins(
    server: InProcessServer, oidc_provider: OidcProvider
) -> None:
    with server.client() as browser:
        callback = callback_path(browser, "omar")
        cookies = dict(browser.cookies)
    clients = [server.client(cookies=cookies) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(lambda client: client.get(callback).status_code, clients))
    assert answers == [303, 400]
    for client in clients:
        client.close()


def test_sign_out_everywhere_else_ends_the_other_upstream_sessions(
    server: InProcessServer, oidc_provider: OidcProvider
) -> None:
    with server.client() as laptop, server.client() as phone:
        for browser in (laptop, phone):
            assert upstream_sign_in(browser, PUBLIC_URL, oidc_provider, "pia").status_code == 303
        sessions = laptop.get("/dashboard/sessions")
        assert sessions.status_code == 200
        ended = laptop.post("/dashboard/sessions/end-others", data=hidden_fields(sessions.text))
        assert ended.status_code == 303
        assert laptop.get("/dashboard").status_code == 200
        assert phone.get("/dashboard").status_code == 303


def test_an_unknown_error_from_the_return_is_not_repeated(
    server: InProcessServer, db: Database
) -> None:
    with server.client() as browser:
        browser.get("/login/oidc")
        answer = browser.get("/login/oidc/callback?error=wn_access_tk_<script>&state=x")
        assert answer.status_code == 400
        assert "wn_access_tk_" not in answer.text and "(unknown)" in answer.text
    assert events(db, "signin.failed")[-1]["error"] == "upstream: unknown"
