"""Rate limits: the headers on every API and OAuth response, the 429s in each endpoint's shape,
budgets per token, per app and per client, shared through Redis, and a Redis outage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import redis

from live import Account, MakeServer, MakeToken, Server, free_port
from oauth.conftest import App, Flow
from sellergate.config import Settings
from sellergate.oauth.metadata import INTROSPECT_PATH, PAR_PATH, REVOKE_PATH, TOKEN_PATH
from sellergate.tokens.format import TokenKind, generate

ME = {"query": "{ me { username } }"}
HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset")

StartServer = Callable[..., Server]


@pytest.fixture
def start_server(make_settings: Callable[..., Settings], make_server: MakeServer) -> StartServer:
    """``start_server(**settings)``: a server on the test's database with these settings."""

    def start(**overrides: Any) -> Server:
        return make_server(make_settings(**overrides))

    return start


def post(server: Server, path: str, **kwargs: Any) -> httpx.Response:
    """One request on a connection of its own, as from a separate client."""
    with server.client() as client:
        return client.post(path, **kwargs)


def api(server: Server, token: str) -> httpx.Response:
    return post(
        server, "/seller-api/graphql", json=ME, headers={"Authorization": f"Bearer {token}"}
    )


def assert_headers(response: httpx.Response, limit: int, remaining: int) -> None:
    assert all(name in response.headers for name in HEADERS), response.headers
    assert int(response.headers["ratelimit-limit"]) == limit
    assert int(response.headers["ratelimit-remaining"]) == remaining
    assert 0 <= int(response.headers["ratelimit-reset"]) <= 60


def test_headers_on_every_api_and_oauth_response(
    flow: Flow, seller: Account, http: httpx.Client
) -> None:
    ok = flow.api(seller.token)
    assert ok.status_code == 200
    assert_headers(ok, 1200, 1199)
    assert_headers(flow.api(seller.token), 1200, 1198)
    assert flow.api("wn_access_tk_test_nonsense").status_code == 401
    unauthenticated = http.post("/seller-api/graphql", json=ME)
    assert unauthenticated.status_code == 401
    assert "ratelimit-limit" in unauthenticated.headers
    tokens = flow.tokens()
    for response in (
        flow.post(INTROSPECT_PATH, {"token": tokens["access_token"]}),
        flow.refresh(tokens["refresh_token"]),
        flow.post(REVOKE_PATH, {"token": tokens["access_token"]}),
        flow.post(TOKEN_PATH, {"grant_type": "password"}),
        http.post(TOKEN_PATH, content=b"x", headers={"content-type": "text/plain"}),
        http.get(TOKEN_PATH),
    ):
        assert response.status_code < 500
        assert all(name in response.headers for name in HEADERS), (response, response.headers)
    assert "ratelimit-limit" not in http.get("/healthz").headers


@pytest.mark.parametrize("strategy", ["fixed-window", "moving-window"])
def test_a_token_over_its_budget_gets_429_in_graphql_shape(
    start_server: StartServer, seller: Account, other_seller: Account, strategy: str
) -> None:
    live = start_server(rate_limit_token="3/minute", rate_limit_strategy=strategy)
    for remaining in (2, 1, 0):
        response = api(live, seller.token)
        assert response.status_code == 200
        assert_headers(response, 3, remaining)
    refused = api(live, seller.token)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert_headers(refused, 3, 0)
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert "rate limit" in error["message"]
    # Another seller's token has its own budget.
    assert api(live, other_seller.token).status_code == 200


def test_an_app_budget_spans_its_tokens(
    start_server: StartServer, flow: Flow, seller: Account
) -> None:
    first = flow.tokens()["access_token"]
    second = flow.tokens()["access_token"]
    live = start_server(rate_limit_app="4/minute")
    statuses = [api(live, token).status_code for token in (first, second, first, second)]
    assert statuses == [200, 200, 200, 200]
    refused = api(live, first)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert api(live, second).status_code == 429
    # A personal token belongs to no app.
    assert api(live, seller.token).status_code == 200


def test_a_fresh_token_per_request_cannot_pass_the_app_budget(
    start_server: StartServer, flow: Flow
) -> None:
    """Regression: the app of a token was learnt only once its first request had run, so an app
    minting a fresh access token for every call was never refused. And the headers show the
    budget closest to running out: here the app's, not the token's."""
    tokens = [flow.tokens()["access_token"] for _ in range(5)]
    live = start_server(rate_limit_app="4/minute", rate_limit_token="100/minute")
    for remaining, token in zip((3, 2, 1, 0), tokens, strict=False):
        response = api(live, token)
        assert response.status_code == 200
        assert_headers(response, 4, remaining)
    refused = api(live, tokens[4])
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1


def test_a_client_over_its_budget_gets_an_oauth_error(
    start_server: StartServer, flow: Flow, register: Callable[..., App]
) -> None:
    live = start_server(rate_limit_client="2/minute")
    other = register(name="Other app")

    def introspect(app: App) -> httpx.Response:
        assert app.secret is not None
        return post(
            live,
            INTROSPECT_PATH,
            data={"token": "wn_access_tk_test_x"},
            auth=(app.client_id, app.secret),
        )

    assert [introspect(flow.app).status_code for _ in range(2)] == [200, 200]
    refused = introspect(flow.app)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert refused.headers["cache-control"] == "no-store"
    assert int(refused.headers["retry-after"]) >= 1
    # client_id in the form body counts against the same budget.
    body = post(
        live,
        TOKEN_PATH,
        data={"grant_type": "refresh_token", "refresh_token": "x", "client_id": flow.app.client_id},
    )
    assert body.status_code == 429
    assert introspect(other).status_code == 200


@pytest.mark.databases("postgresql")
def test_budgets_are_shared_through_redis(
    start_server: StartServer, seller: Account, redis_url: str
) -> None:
    first = start_server(rate_limit_token="4/minute", redis_url=redis_url)
    second = start_server(rate_limit_token="4/minute", redis_url=redis_url)
    answers = [api(live, seller.token) for live in (first, second) * 2]
    assert [answer.status_code for answer in answers] == [200] * 4
    # One counter for both: each answer counts down from what the other left.
    assert [int(answer.headers["ratelimit-remaining"]) for answer in answers] == [3, 2, 1, 0]
    assert api(first, seller.token).status_code == 429
    assert api(second, seller.token).status_code == 429


@pytest.mark.databases("postgresql")
def test_a_fixed_window_charge_does_not_read_its_counter_back(
    start_server: StartServer, seller: Account, redis_url: str
) -> None:
    # The count the increment returns is the window's with this request: what remains is
    # known without a GET (one round trip less per budget and request).
    live = start_server(rate_limit_token="5/minute", redis_url=redis_url)
    store = redis.Redis.from_url(redis_url)
    store.config_resetstat()
    answers = [api(live, seller.token) for _ in range(3)]
    assert [int(answer.headers["ratelimit-remaining"]) for answer in answers] == [4, 3, 2]
    commands = set(store.info("commandstats"))
    assert "cmdstat_get" not in commands, commands
    assert commands & {"cmdstat_incrby", "cmdstat_incr", "cmdstat_evalsha"}, commands


def test_redis_down_fails_open_by_default(start_server: StartServer, seller: Account) -> None:
    live = start_server(redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = api(live, seller.token)
    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers


def test_redis_down_fails_closed_when_configured(
    start_server: StartServer, seller: Account, app: App
) -> None:
    live = start_server(redis_url=f"redis://127.0.0.1:{free_port()}/0", rate_limit_fail_open=False)
    response = api(live, seller.token)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    # One outage, one code: the rate limiter's 503 is the error barrier's and docs/api.md's.
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert app.secret is not None
    oauth = post(live, INTROSPECT_PATH, data={"token": "x"}, auth=(app.client_id, app.secret))
    assert oauth.status_code == 503
    assert oauth.json()["error"] == "temporarily_unavailable"


def test_off_disables_a_budget(
    start_server: StartServer, seller: Account, make_token: MakeToken
) -> None:
    live = start_server(rate_limit_token="off")
    response = api(live, seller.token)
    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers


def test_wrong_credentials_do_not_spend_the_named_clients_budget(
    start_server: StartServer, app: App
) -> None:
    live = start_server(rate_limit_client="2/minute")
    assert app.secret is not None

    def introspect(secret: str) -> httpx.Response:
        return post(live, INTROSPECT_PATH, data={"token": "x"}, auth=(app.client_id, secret))

    assert [introspect("wrong").status_code for _ in range(3)] == [401, 401, 401]
    assert [introspect(app.secret).status_code for _ in range(3)] == [200, 200, 429]


def test_requests_refused_before_client_authentication_do_not_spend_the_apps_budget(
    start_server: StartServer, app: App
) -> None:
    """Regression: requests naming an app in Basic with a wrong secret but refused before client
    authentication (wrong Content-Type, grant_type=password, a repeated parameter, GET) were
    charged to that app, so nine of them got the app's own valid request a 429."""
    import base64

    live = start_server(rate_limit_client="2/minute")
    assert app.secret is not None
    basic = base64.b64encode(f"{app.client_id}:wrong-secret".encode()).decode()
    named = {"Authorization": f"Basic {basic}"}
    form = {**named, "Content-Type": "application/x-www-form-urlencoded"}
    with live.client() as client:
        refused = [
            client.post(TOKEN_PATH, content=b'{"grant_type": "x"}', headers=named).status_code,
            client.post(TOKEN_PATH, content=b"grant_type=password", headers=form).status_code,
            client.post(
                TOKEN_PATH, content=b"grant_type=refresh_token&grant_type=x", headers=form
            ).status_code,
            client.get(TOKEN_PATH, headers=named).status_code,
            client.post(REVOKE_PATH, content=b"token=x&token=y", headers=form).status_code,
        ] * 2
    assert all(status in (400, 401, 405) for status in refused), refused

    def introspect() -> httpx.Response:
        return post(live, INTROSPECT_PATH, data={"token": "x"}, auth=(app.client_id, app.secret))

    assert [introspect().status_code for _ in range(3)] == [200, 200, 429]


def test_token_and_par_requests_of_an_authenticated_client_spend_its_budget(
    start_server: StartServer, app: App
) -> None:
    live = start_server(rate_limit_client="3/minute")
    assert app.secret is not None
    auth = (app.client_id, app.secret)
    refresh = {"grant_type": "refresh_token", "refresh_token": "wn_refresh_tk_test_x"}
    pushed = {"response_type": "code", "client_id": app.client_id}
    statuses = [
        post(live, TOKEN_PATH, data=refresh, auth=auth).status_code,
        post(live, PAR_PATH, data=pushed, auth=auth).status_code,
        post(live, TOKEN_PATH, data=refresh, auth=auth).status_code,
        post(live, TOKEN_PATH, data=refresh, auth=auth).status_code,
    ]
    # A refused refresh (invalid_grant) and a pushed request each cost the app one request.
    assert statuses == [400, 201, 400, 429], statuses


def test_a_concurrent_burst_cannot_pass_the_client_budget(
    start_server: StartServer, app: App
) -> None:
    """Regression: the budget was looked at before and charged after the answer, so a burst of
    concurrent requests all passed; it is charged first, atomically."""
    from concurrent.futures import ThreadPoolExecutor

    live = start_server(rate_limit_client="5/minute")
    assert app.secret is not None
    secret = app.secret

    def introspect(_: int) -> int:
        # Threads of their own: the requests are answered concurrently on the server's loop.
        return post(
            live, INTROSPECT_PATH, data={"token": "x"}, auth=(app.client_id, secret)
        ).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(introspect, range(20)))
    assert statuses.count(200) == 5 and statuses.count(429) == 15, statuses


def test_made_up_tokens_are_charged_to_the_address(
    start_server: StartServer, seller: Account
) -> None:
    live = start_server(rate_limit_address="3/minute")
    made_up = [generate(TokenKind.ACCESS, staging=True) for _ in range(4)]
    assert [api(live, token).status_code for token in made_up] == [401] * 4
    refused = api(live, generate(TokenKind.ACCESS, staging=True))
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1


def test_address_budgets_believe_only_trusted_proxies() -> None:
    """The limiter and the access log take the client address from the same rule as sign-in:
    X-Forwarded-For only from SELLERGATE_TRUSTED_PROXIES, read from the right."""
    import ipaddress

    from sellergate.web.addresses import scope_address

    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    spoofed = {
        "client": ("203.0.113.9", 5000),
        "headers": [(b"x-forwarded-for", b"198.51.100.1")],
    }
    assert scope_address(spoofed, proxies) == "203.0.113.9"
    assert scope_address(spoofed, ()) == "203.0.113.9"
    proxied = {
        "client": ("10.1.2.3", 5000),
        "headers": [(b"x-forwarded-for", b"198.51.100.1, 192.0.2.7, 10.9.9.9")],
    }
    assert scope_address(proxied, proxies) == "192.0.2.7"
