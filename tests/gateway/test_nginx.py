"""A real nginx with the shipped ``deploy/gateway/nginx.conf`` (only its ADAPT lines pointed at
the test's ports) in front of an upstream API of the test's own, asking a real sellergate on
a socket: on SQLite and PostgreSQL, what reaches the upstream is exactly what the routes allow,
with the identity headers set by sellergate and never by the client.
"""

from __future__ import annotations

import contextlib
import http.client
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from psycopg import sql

from gateway.peers import EchoUpstream, Nginx, running_nginx, running_upstream
from gateway.support import EXAMPLE_ROUTES, AppToken, app_token
from live import Account, LiveServer
from pgserver import PostgresServer
from sellergate.accounts.families import revoke_family
from sellergate.config import Settings
from sellergate.oauth.records import RevocationReason
from sellergate.scopes import Scope
from sellergate.storage.database import Database

MakeSettings = Callable[..., Settings]


@pytest.fixture(scope="module")
def echo_server() -> Iterator[EchoUpstream]:
    with running_upstream() as echo:
        yield echo


@pytest.fixture
def upstream(echo_server: EchoUpstream) -> EchoUpstream:
    """The module's upstream, with nothing received yet."""
    echo_server.received.clear()
    return echo_server


@pytest.fixture
def sellergate(make_settings: MakeSettings, db: Database) -> Iterator[LiveServer]:
    settings = make_settings(gateway_routes=str(EXAMPLE_ROUTES), trusted_proxies="127.0.0.1")
    live = LiveServer(settings, db)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def nginx(sellergate: LiveServer, upstream: EchoUpstream, tmp_path: Path) -> Iterator[Nginx]:
    address = sellergate.url.removeprefix("http://")
    with running_nginx(tmp_path / "nginx", [address], upstream.address) as proxy:
        yield proxy


@pytest.fixture
def orders_app(db: Database, settings: Settings, seller: Account) -> AppToken:
    with db.session(write=True) as session:
        return app_token(session, settings, seller.id, [Scope.READ_ORDERS])


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def identity(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("x-sellergate")}


def test_an_allowed_request_reaches_the_upstream_with_its_identity(
    nginx: Nginx, upstream: EchoUpstream, seller: Account, orders_app: AppToken
) -> None:
    response = nginx.request("GET", "/v1/orders/7?expand=items", bearer(orders_app.token))
    assert response.status == 200
    assert response.getheader("RateLimit-Limit") == "1200"
    assert response.getheader("RateLimit-Remaining") == "1199"
    (seen,) = upstream.received
    assert (seen.method, seen.path) == ("GET", "/v1/orders/7?expand=items")
    assert identity(seen.headers) == {
        "x-sellergate-seller-id": str(seller.id),
        "x-sellergate-username": "alice",
        "x-sellergate-scopes": "read:orders",
        "x-sellergate-client-id": orders_app.client_id,
        "x-sellergate-token-kind": "oauth",
    }
    assert seen.headers["authorization"] == f"Bearer {orders_app.token}"

    personal = nginx.request("GET", "/v1/customers/3", bearer(seller.token))
    assert personal.status == 200
    assert identity(upstream.received[-1].headers) == {
        "x-sellergate-seller-id": str(seller.id),
        "x-sellergate-username": "alice",
        "x-sellergate-scopes": " ".join(s.value for s in Scope),
        "x-sellergate-token-kind": "personal",
    }


def test_refusals_never_reach_the_upstream(
    nginx: Nginx, upstream: EchoUpstream, orders_app: AppToken
) -> None:
    missing_scope = nginx.request("GET", "/v1/customers/3", bearer(orders_app.token))
    assert missing_scope.status == 403
    challenge = missing_scope.getheader("WWW-Authenticate") or ""
    assert 'error="insufficient_scope"' in challenge
    assert 'scope="read:customers"' in challenge

    no_token = nginx.request("GET", "/v1/orders/7")
    assert no_token.status == 401
    assert 'error="invalid_token"' in (no_token.getheader("WWW-Authenticate") or "")

    no_route = nginx.request("GET", "/admin/settings", bearer(orders_app.token))
    assert no_route.status == 403
    assert no_route.getheader("WWW-Authenticate") is None
    assert nginx.request("DELETE", "/v1/orders/7", bearer(orders_app.token)).status == 403
    in_query = nginx.request("GET", f"/v1/orders/7?access_token={orders_app.token}")
    assert in_query.status == 401
    assert upstream.received == []


def test_a_token_revoked_mid_stream_stops_at_the_next_request(
    nginx: Nginx, upstream: EchoUpstream, db: Database, orders_app: AppToken
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", nginx.port, timeout=30)
    try:
        for _ in range(3):
            connection.request("GET", "/v1/orders", headers=bearer(orders_app.token))
            assert connection.getresponse().read() and len(upstream.received) >= 1
        with db.session(write=True) as session:
            revoke_family(session, orders_app.grant_id, RevocationReason.DISCONNECTED)
        connection.request("GET", "/v1/orders", headers=bearer(orders_app.token))
        refused = connection.getresponse()
        refused.read()
    finally:
        connection.close()
    assert refused.status == 401
    assert "authorization was revoked" in (refused.getheader("WWW-Authenticate") or "")
    assert len(upstream.received) == 3


def test_identity_headers_from_the_client_never_reach_the_upstream(
    nginx: Nginx, upstream: EchoUpstream, seller: Account, orders_app: AppToken
) -> None:
    for forged in (
        {"X-Sellergate-Seller-Id": "999"},
        {"X-Sellergate-Scopes": "full_access"},
        {"x-sellergate-token-kind": "personal"},
        {"X-Sellergate-Admin": "yes"},
    ):
        response = nginx.request("GET", "/v1/orders", bearer(orders_app.token, **forged))
        assert response.status == 403
    assert upstream.received == []
    # A spelling nginx does not pass on at all (underscores) is simply dropped; what arrives
    # is sellergate's identity alone.
    response = nginx.request(
        "GET", "/v1/orders", bearer(orders_app.token, X_Sellergate_Seller_Id="999")
    )
    assert response.status == 200
    (seen,) = upstream.received
    assert identity(seen.headers)["x-sellergate-seller-id"] == str(seller.id)
    assert set(identity(seen.headers)) <= {
        "x-sellergate-seller-id",
        "x-sellergate-username",
        "x-sellergate-scopes",
        "x-sellergate-client-id",
        "x-sellergate-token-kind",
    }
    assert not any("999" in value for value in seen.headers.values())


# Spellings that name /v1/customers, or that servers read in more than one way: none may
# reach the upstream with a token that may only read orders.
PATH_TRICKS = [
    "/v1/orders/../customers",
    "/v1/orders/%2e%2e/customers",
    "/v1/orders/%2E%2E/customers",
    "/v1/orders/.%2e/customers",
    "/v1/orders/..%2Fcustomers",
    "/v1/orders%2F..%2Fcustomers",
    "/v1/orders/%252e%252e/customers",
    "/v1/orders/..;/customers",
    "/v1/orders/..%5Ccustomers",
    "//v1/customers",
    "/v1//customers",
    "/v1/orders/../../v1/customers",
    "/v1/orders/%00/../../customers",
]


def test_path_tricks_do_not_reach_customers(
    nginx: Nginx, upstream: EchoUpstream, orders_app: AppToken
) -> None:
    for path in PATH_TRICKS:
        response = nginx.request("GET", path, bearer(orders_app.token))
        assert response.status in (400, 403), (path, response.status)
    assert upstream.received == []


def test_spellings_of_an_allowed_path_are_allowed(
    nginx: Nginx, upstream: EchoUpstream, orders_app: AppToken
) -> None:
    for path in ("/v1//orders//7/", "/v1/./orders/x/../7", "/v1/orders/%37"):
        assert nginx.request("GET", path, bearer(orders_app.token)).status == 200
    # The upstream gets the path as the client spelled it: the same resource.
    assert [seen.path for seen in upstream.received] == [
        "/v1//orders//7/",
        "/v1/./orders/x/../7",
        "/v1/orders/%37",
    ]


@contextlib.contextmanager
def database_down(db: Database, database: str, request: pytest.FixtureRequest) -> Iterator[None]:
    """The database cannot be reached: the SQLite file cannot be opened, or PostgreSQL refuses
    connections to the database; the app's pooled connections are dropped."""
    name = db.engine.url.database
    assert name is not None
    if database == "sqlite":
        path = Path(name)
        away = path.with_name(path.name + ".away")
        path.rename(away)
        path.mkdir()  # a directory where the file was: "unable to open database file"
        db.engine.dispose()
        try:
            yield
        finally:
            path.rmdir()
            away.rename(path)
            db.engine.dispose()
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    with server.connect() as conn:
        conn.autocommit = True
        conn.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name))
        )
    server.end_connections(name)
    db.engine.dispose()
    try:
        yield
    finally:
        with server.connect() as conn:
            conn.autocommit = True
            conn.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name))
            )


def test_a_database_that_cannot_answer_gives_503_and_nothing_upstream(
    nginx: Nginx,
    upstream: EchoUpstream,
    db: Database,
    database: str,
    orders_app: AppToken,
    request: pytest.FixtureRequest,
) -> None:
    with database_down(db, database, request):
        for _ in range(2):
            response = nginx.request("GET", "/v1/orders/7", bearer(orders_app.token))
            assert response.status == 503
            assert response.getheader("Retry-After") == "5"
    assert upstream.received == []
    assert nginx.request("GET", "/v1/orders/7", bearer(orders_app.token)).status == 200
    assert len(upstream.received) == 1


def test_an_unreachable_sellergate_is_503_too(
    sellergate: LiveServer, upstream: EchoUpstream, tmp_path: Path, orders_app: AppToken
) -> None:
    with running_nginx(tmp_path / "down", ["127.0.0.1:9"], upstream.address) as proxy:
        response = proxy.request("GET", "/v1/orders/7", bearer(orders_app.token))
    assert response.status == 503
    assert response.getheader("Retry-After") == "5"
    assert upstream.received == []


def test_a_spent_budget_is_429_with_retry_after(
    make_settings: MakeSettings,
    db: Database,
    upstream: EchoUpstream,
    tmp_path: Path,
    orders_app: AppToken,
) -> None:
    settings = make_settings(gateway_routes=str(EXAMPLE_ROUTES), rate_limit_token="2/minute")
    live = LiveServer(settings, db)
    live.start()
    try:
        address = live.url.removeprefix("http://")
        with running_nginx(tmp_path / "limited", [address], upstream.address) as proxy:
            statuses = [
                proxy.request("GET", "/v1/orders", bearer(orders_app.token)) for _ in range(3)
            ]
    finally:
        live.stop()
    assert [r.status for r in statuses] == [200, 200, 429]
    assert int(statuses[-1].getheader("Retry-After") or 0) >= 1
    assert statuses[-1].getheader("RateLimit-Remaining") == "0"
    assert len(upstream.received) == 2
