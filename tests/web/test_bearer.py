"""Bearer authentication on the Seller API (RFC 6750 §2.1 and §3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event

from live import Account, MakeToken, Server
from sellergate.accounts.personal_tokens import revoke_token
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.tokens.format import TokenKind, generate

ME = {"query": "{ me { id username } }"}


def call(http: httpx.Client, authorization: str | None, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return http.post("/seller-api/graphql", json=ME, headers=headers, **kwargs)  # type: ignore[arg-type]


def challenge(response: httpx.Response) -> str:
    assert response.status_code == 401
    value = response.headers["www-authenticate"]
    assert value.startswith("Bearer ")
    assert 'error="invalid_token"' in value
    return value


@pytest.fixture
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_me_with_a_personal_token(http: httpx.Client, seller: Account) -> None:
    response = call(http, f"Bearer {seller.token}")
    assert response.status_code == 200
    assert response.json()["data"]["me"]["username"] == "alice"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_scheme_is_case_insensitive(http: httpx.Client, seller: Account, scheme: str) -> None:
    assert call(http, f"{scheme} {seller.token}").status_code == 200


def test_missing_header(http: httpx.Client, server: Server) -> None:
    assert "no bearer token" in challenge(call(http, None))


def test_other_scheme(http: httpx.Client, seller: Account) -> None:
    assert "Bearer scheme" in challenge(call(http, f"Basic {seller.token}"))


def test_token_in_query_string_is_never_accepted(http: httpx.Client, seller: Account) -> None:
    response = http.post("/seller-api/graphql", params={"access_token": seller.token}, json=ME)
    assert "Authorization header" in challenge(response)


def test_malformed_token_is_refused_without_touching_the_database(
    http: httpx.Client, seller: Account, statements: list[str]
) -> None:
    mistyped = seller.token[:-1] + ("A" if seller.token[-1] != "A" else "B")
    statements.clear()
    assert "checksum" in challenge(call(http, f"Bearer {mistyped}"))
    assert "malformed" in challenge(call(http, "Bearer not-a-token"))
    # Well-formed, but refused by what they are: the other environment's, or not an access token.
    production = generate(TokenKind.ACCESS, staging=False)
    assert "production token" in challenge(call(http, f"Bearer {production}"))
    refresh = generate(TokenKind.REFRESH, staging=True)
    assert "not an access token" in challenge(call(http, f"Bearer {refresh}"))
    assert statements == []


def test_refresh_token_is_not_an_access_token(http: httpx.Client, server: Server) -> None:
    token = generate(TokenKind.REFRESH, staging=True)
    assert "not an access token" in challenge(call(http, f"Bearer {token}"))


def test_unknown_token(http: httpx.Client, server: Server) -> None:
    token = generate(TokenKind.ACCESS, staging=True)
    assert "unknown token" in challenge(call(http, f"Bearer {token}"))


def test_production_token_on_staging_server(http: httpx.Client, server: Server) -> None:
    token = generate(TokenKind.ACCESS, staging=False)
    assert "production token was sent to the staging server" in challenge(
        call(http, f"Bearer {token}")
    )


def test_revoked_token(http: httpx.Client, seller: Account, db: Database) -> None:
    assert call(http, f"Bearer {seller.token}").status_code == 200
    with db.session(write=True) as session:
        from sellergate.storage.models import AccessToken

        row = session.query(AccessToken).filter_by(seller_id=seller.id).one()
        revoke_token(session, row.id)
    assert "revoked" in challenge(call(http, f"Bearer {seller.token}"))


def test_expired_token(http: httpx.Client, seller: Account, make_token: MakeToken) -> None:
    token = make_token(seller.id, expires_at=utcnow() - timedelta(seconds=1))
    assert "expired" in challenge(call(http, f"Bearer {token}"))


def test_last_used_is_buffered_not_written_per_request(
    http: httpx.Client, seller: Account, server: Server, db: Database, statements: list[str]
) -> None:
    statements.clear()
    for _ in range(5):
        assert call(http, f"Bearer {seller.token}").status_code == 200
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert server.app.state.recorder.flush(db.engine) == 1
    from sellergate.accounts.personal_tokens import list_tokens

    with db.session() as session:
        (row,) = list_tokens(session, seller.id)
    assert row.last_used_at is not None


def test_body_limits_and_bad_json(http: httpx.Client, seller: Account) -> None:
    auth = {"Authorization": f"Bearer {seller.token}"}
    big = http.post(
        "/seller-api/graphql",
        content=b'{"query": "' + b" " * 2_000_000 + b'"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert big.status_code == 413
    bad = http.post(
        "/seller-api/graphql",
        content=b"{not json",
        headers={**auth, "Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    no_query = http.post("/seller-api/graphql", json={"variables": {}}, headers=auth)
    assert no_query.status_code == 400
