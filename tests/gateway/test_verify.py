"""``/gateway/verify`` in process, on both databases: every answer of the decision endpoint."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from fuzz.support import FUZZ
from gateway.support import EXAMPLE_ROUTES, AppToken, app_token
from live import Account, MakeServer, MakeToken
from sellergate.accounts.clients import disable_client
from sellergate.accounts.families import revoke_family
from sellergate.accounts.personal_tokens import revoke_token
from sellergate.config import Settings
from sellergate.gateway.paths import normalise_path, split_target
from sellergate.oauth.records import RevocationReason
from sellergate.scopes import Scope
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate

MakeSettings = Callable[..., Settings]


@pytest.fixture
def gateway_settings(make_settings: MakeSettings) -> Settings:
    return make_settings(gateway_routes=str(EXAMPLE_ROUTES))


@pytest.fixture
def http(make_server: MakeServer, gateway_settings: Settings) -> httpx.Client:
    return make_server(gateway_settings).client()


@pytest.fixture
def orders_app(db: Database, gateway_settings: Settings, seller: Account) -> AppToken:
    with db.session(write=True) as session:
        return app_token(session, gateway_settings, seller.id, [Scope.WRITE_ORDERS])


def ask(
    http: httpx.Client, token: str | None, method: str, uri: str, **headers: str
) -> httpx.Response:
    """As nginx asks: the original request in X-Original-Method and X-Original-URI."""
    sent = {"X-Original-Method": method, "X-Original-URI": uri, **headers}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    return http.get("/gateway/verify", headers=sent)


def challenge(response: httpx.Response, status: int, error: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    value = response.headers["www-authenticate"]
    assert value.startswith("Bearer ")
    assert f'error="{error}"' in value
    return value


def test_a_personal_token_is_allowed_with_its_identity(http: httpx.Client, seller: Account) -> None:
    response = ask(http, seller.token, "GET", "/v1/customers/42?page=2")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["x-sellergate-seller-id"] == str(seller.id)
    assert response.headers["x-sellergate-username"] == "alice"
    assert response.headers["x-sellergate-token-kind"] == "personal"
    # full_access, expanded: every scope the token grants.
    assert response.headers["x-sellergate-scopes"] == " ".join(s.value for s in Scope)
    assert "x-sellergate-client-id" not in response.headers
    assert int(response.headers["ratelimit-limit"]) == 1200
    assert int(response.headers["ratelimit-remaining"]) == 1199
    assert "ratelimit-reset" in response.headers
    assert response.headers["cache-control"] == "no-store"
    # Counted under one label, whatever the original path (Envoy's style puts it in the URL).
    http.get("/gateway/verify/v1/orders/1", headers={"Authorization": f"Bearer {seller.token}"})
    metrics = http.get("/metrics").text
    assert 'route="gateway",status="200"} 2.0' in metrics


def test_an_app_token_carries_its_client_id(
    http: httpx.Client, seller: Account, orders_app: AppToken
) -> None:
    response = ask(http, orders_app.token, "post", "/v1/orders/7/tracking")
    assert response.status_code == 200
    assert response.headers["x-sellergate-token-kind"] == "oauth"
    assert response.headers["x-sellergate-client-id"] == orders_app.client_id
    assert response.headers["x-sellergate-scopes"] == "read:orders write:orders"
    # write:orders implies read:orders; it does not reach customers.
    assert ask(http, orders_app.token, "GET", "/v1/orders").status_code == 200
    refused = ask(http, orders_app.token, "GET", "/v1/customers/1")
    assert 'scope="read:customers"' in challenge(refused, 403, "insufficient_scope")
    assert refused.json()["scope"] == "read:customers"
    assert "x-sellergate-seller-id" not in refused.headers


def test_the_traefik_and_envoy_styles(http: httpx.Client, orders_app: AppToken) -> None:
    bearer = {"Authorization": f"Bearer {orders_app.token}"}
    traefik = {"X-Forwarded-Method": "GET", "X-Forwarded-Uri": "/v1/orders/1?x=y", **bearer}
    assert http.get("/gateway/verify", headers=traefik).status_code == 200
    assert http.post("/gateway/verify", headers=traefik).status_code == 200  # any method
    # Envoy: the original method and path are the request's own, after the prefix.
    assert http.get("/gateway/verify/v1/orders/1?x=y", headers=bearer).status_code == 200
    assert http.delete("/gateway/verify/v1/orders/1", headers=bearer).status_code == 200
    assert http.get("/gateway/verify/v1/customers", headers=bearer).status_code == 403
    tricked = http.get("/gateway/verify/v1/orders/%2e%2e/customers", headers=bearer)
    assert tricked.status_code == 403
    assert "percent-encoded" in tricked.json()["error_description"]
    for escaped in ("/gateway/verif%79/v1/orders/1", "/gateway/verify%2Fv1/orders/1"):
        assert http.get(escaped, headers=bearer).status_code == 403


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no original request"),
        ({"X-Original-Method": "GET"}, "x-original-uri must be sent exactly once"),
        (
            {"X-Original-Method": "GET", "X-Original-URI": "/v1/orders", "X-Forwarded-Uri": "/"},
            "both X-Original-* and X-Forwarded-*",
        ),
        ({"X-Original-Method": "GET", "X-Original-URI": "http://x/v1/orders"}, "starting with '/'"),
        ({"X-Original-Method": "G ET", "X-Original-URI": "/v1/orders"}, "not a valid HTTP method"),
    ],
)
def test_an_unclear_original_request_is_refused(
    http: httpx.Client, seller: Account, headers: dict[str, str], why: str
) -> None:
    response = http.get(
        "/gateway/verify", headers={"Authorization": f"Bearer {seller.token}", **headers}
    )
    assert response.status_code == 403
    assert response.headers["cache-control"] == "no-store"
    assert why in response.json()["error_description"]
    assert "x-sellergate-seller-id" not in response.headers


def test_the_path_is_named_by_the_path_or_by_headers_not_both(
    http: httpx.Client, seller: Account
) -> None:
    response = http.get(
        "/gateway/verify/v1/orders",
        headers={"Authorization": f"Bearer {seller.token}", "X-Original-URI": "/v1/me"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "uri",
    [
        "/v1/orders/../customers",
        "/v1/orders/%2e%2e/customers",
        "/v1/orders/%2E%2E/customers",
        "/v1/orders/..%2fcustomers",
        "/v1/orders%2F..%2Fcustomers",
        "/v1/orders/..\\customers",
        "/v1/orders/..;/customers",
        "/v1/orders/%252e%252e/customers",
        "/v1/orders/%00/../../customers",
        "/v1/orders/../../../customers",
    ],
)
def test_path_tricks_never_reach_customers(
    http: httpx.Client, orders_app: AppToken, uri: str
) -> None:
    assert ask(http, orders_app.token, "GET", uri).status_code == 403


def test_double_slashes_and_trailing_slashes(http: httpx.Client, orders_app: AppToken) -> None:
    assert ask(http, orders_app.token, "GET", "/v1//orders//1/").status_code == 200
    assert ask(http, orders_app.token, "GET", "/v1/./orders/x/../1").status_code == 200
    assert ask(http, orders_app.token, "GET", "//v1/orders").status_code == 403


def test_no_route_means_no(http: httpx.Client, seller: Account) -> None:
    for method, uri in [("GET", "/v2/orders"), ("GET", "/"), ("OPTIONS", "/v1/orders")]:
        response = ask(http, seller.token, method, uri)
        assert response.status_code == 403
        assert response.json()["error"] == "no_route"
    # scopes = []: any valid token, for the methods named.
    assert ask(http, seller.token, "GET", "/v1/me").status_code == 200
    assert ask(http, seller.token, "POST", "/v1/me").status_code == 403


def test_identity_headers_from_the_client_are_refused(http: httpx.Client, seller: Account) -> None:
    for name in ("X-Sellergate-Seller-Id", "x-sellergate-username", "X-Sellergate-Admin"):
        response = ask(http, seller.token, "GET", "/v1/orders", **{name: "1"})
        assert response.status_code == 403
        assert response.json()["error"] == "invalid_request"
        assert "x-sellergate-seller-id" not in response.headers


def test_dead_and_missing_tokens(
    http: httpx.Client,
    db: Database,
    seller: Account,
    make_token: MakeToken,
    orders_app: AppToken,
    gateway_settings: Settings,
) -> None:
    assert "no bearer token" in challenge(
        ask(http, None, "GET", "/v1/orders"), 401, "invalid_token"
    )
    assert "malformed" in challenge(ask(http, "nope", "GET", "/v1/orders"), 401, "invalid_token")
    basic = ask(http, None, "GET", "/v1/orders", Authorization=f"Basic {seller.token}")
    assert "Bearer scheme" in challenge(basic, 401, "invalid_token")
    production = generate(TokenKind.ACCESS, staging=False)
    wrong_env = ask(http, production, "GET", "/v1/orders")
    assert "production token" in challenge(wrong_env, 401, "invalid_token")
    unknown = generate(TokenKind.ACCESS, staging=True)
    assert "unknown" in challenge(ask(http, unknown, "GET", "/v1/orders"), 401, "invalid_token")
    in_query = ask(http, None, "GET", f"/v1/orders?access_token={seller.token}")
    assert "Authorization header" in challenge(in_query, 401, "invalid_token")
    expired = make_token(seller.id, expires_at=utcnow() - timedelta(seconds=1))
    assert "expired" in challenge(ask(http, expired, "GET", "/v1/orders"), 401, "invalid_token")

    with db.session(write=True) as session:
        token_id = session.scalar(
            select(AccessToken.id).where(AccessToken.last_four == seller.token[-4:])
        )
        assert token_id is not None
        revoke_token(session, token_id)
    revoked = ask(http, seller.token, "GET", "/v1/orders")
    assert "revoked" in challenge(revoked, 401, "invalid_token")

    assert ask(http, orders_app.token, "GET", "/v1/orders").status_code == 200
    with db.session(write=True) as session:
        revoke_family(session, orders_app.grant_id, RevocationReason.DISCONNECTED)
    gone = ask(http, orders_app.token, "GET", "/v1/orders")
    assert "authorization was revoked" in challenge(gone, 401, "invalid_token")

    with db.session(write=True) as session:
        other = app_token(session, gateway_settings, seller.id, [Scope.READ_ORDERS])
    assert ask(http, other.token, "GET", "/v1/orders").status_code == 200
    with db.session(write=True) as session:
        disable_client(session, other.client_id)
    disabled = ask(http, other.token, "GET", "/v1/orders")
    assert "app was disabled" in challenge(disabled, 401, "invalid_token")


def test_without_a_routes_file_everything_is_refused(
    make_server: MakeServer, make_settings: MakeSettings, seller: Account
) -> None:
    http = make_server(make_settings()).client()
    response = ask(http, seller.token, "GET", "/v1/orders")
    assert response.status_code == 403
    assert response.json()["error"] == "not_configured"
    assert "SELLERGATE_GATEWAY_ROUTES" in response.json()["error_description"]


def test_budgets_and_last_used_are_the_apis(
    make_server: MakeServer,
    make_settings: MakeSettings,
    db: Database,
    seller: Account,
) -> None:
    settings = make_settings(gateway_routes=str(EXAMPLE_ROUTES), rate_limit_token="3/minute")
    server = make_server(settings)
    http = server.client()
    assert ask(http, seller.token, "GET", "/v1/orders").headers["ratelimit-remaining"] == "2"
    # The Seller API and the gateway spend one budget.
    api = http.post(
        "/seller-api/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {seller.token}"},
    )
    assert api.headers["ratelimit-remaining"] == "1"
    assert ask(http, seller.token, "GET", "/v1/orders").status_code == 200
    refused = ask(http, seller.token, "GET", "/v1/orders")
    assert refused.status_code == 429
    assert refused.headers["cache-control"] == "no-store"
    assert int(refused.headers["retry-after"]) >= 1
    assert "x-sellergate-seller-id" not in refused.headers

    assert server.app.state.recorder.flush(db.engine) == 1
    with db.session() as session:
        used = session.scalar(select(AccessToken.last_used_at))
    assert used is not None


def test_a_rate_limit_store_that_cannot_answer_fails_closed(
    make_server: MakeServer, make_settings: MakeSettings, seller: Account
) -> None:
    settings = make_settings(
        gateway_routes=str(EXAMPLE_ROUTES),
        redis_url="redis://127.0.0.1:9/0",  # nothing listens on the discard port
        rate_limit_fail_open=False,
    )
    response = ask(make_server(settings).client(), seller.token, "GET", "/v1/orders")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["cache-control"] == "no-store"
    assert "x-sellergate-seller-id" not in response.headers


HOSTILE = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=60)
URI_PIECES = st.lists(
    st.sampled_from(
        ["v1", "orders", "customers", "me", "..", ".", "", "%2e", "%2f", "%00", "%25", ";", "?",
         "\\", "#", "%", "access_token=", "&", "é", " "]
    ),
    max_size=8,
).map(lambda pieces: "/" + "/".join(pieces))  # fmt: skip


def test_hostile_decision_requests(
    http: httpx.Client, seller: Account, orders_app: AppToken
) -> None:
    """Whatever the gateway forwards, the answer is 200, 401 or 403, never a 5xx, and a 200 is
    only ever for an orders path or /v1/me."""

    @FUZZ
    @given(
        token=st.sampled_from([orders_app.token, seller.token, "", "x"]),
        method=st.sampled_from(["GET", "get", "POST", "DELETE", "G ET", ""]) | HOSTILE,
        uri=URI_PIECES | HOSTILE,
        style=st.sampled_from(["nginx", "traefik", "envoy"]),
    )
    def run(token: str, method: str, uri: str, style: str) -> None:
        headers = {b"authorization": f"Bearer {token}".encode("latin-1")}
        if style == "envoy":
            response = http.request(
                "GET", "/gateway/verify/" + quote(uri, safe="/%;?&=.\\"), headers=headers
            )
        else:
            names = ("x-original-method", "x-original-uri")
            if style == "traefik":
                names = ("x-forwarded-method", "x-forwarded-uri")
            headers[names[0].encode()] = method.encode("latin-1")
            headers[names[1].encode()] = uri.encode("latin-1")
            response = http.get("/gateway/verify", headers=headers)
        assert response.status_code in (200, 401, 403), (response.status_code, response.text)
        if response.status_code == 200:
            sent = uri
            if style == "envoy":  # what reached the server, after the client's own handling
                sent = response.request.url.raw_path.decode("latin-1")[len("/gateway/verify") :]
            path, _ = split_target(sent)
            canonical = normalise_path(path)
            assert canonical.startswith("/v1/orders") or canonical == "/v1/me", canonical

    run()
