"""Limits on depth, aliases and tokens; introspection and GraphiQL off in production."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from api.support import Gql, errors_of, fragment_bomb
from inprocess import InProcessServer
from live import Account, MakeServer
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.tokens.format import TokenKind, generate

INTROSPECTION = "{ __schema { queryType { name } } }"


def test_expensive_documents_are_refused(gql: Gql, seller: Account) -> None:
    deep = "{ products { edges { node { " + "variants { product { " * 8 + "id" + " }" * 19 + " }"
    assert "exceeds maximum operation depth" in errors_of(gql(seller.token, deep))[0]["message"]
    aliases = "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(40)) + " }"
    assert "aliases found" in errors_of(gql(seller.token, aliases))[0]["message"]
    tokens = "{ me { " + " ".join(["username"] * 3000) + " } }"
    assert "more than 2000 tokens" in errors_of(gql(seller.token, tokens))[0]["message"]
    allowed = gql(seller.token, INTROSPECTION)
    assert allowed["data"]["__schema"]["queryType"]["name"] == "Query"  # on outside production


def test_production_turns_off_introspection_and_graphiql(
    make_settings: Callable[..., Settings], make_server: MakeServer, db: Database, seller: Account
) -> None:
    settings = make_settings(
        env="production", public_url="https://sellers.example.com", secret_key="k" * 40
    )
    with make_server(settings, Database(settings, db.engine)).client() as client:
        assert client.get("/seller-api/graphql").status_code == 405
        # a staging token is refused in production before anything else
        response = client.post(
            "/seller-api/graphql",
            json={"query": INTROSPECTION},
            headers={"Authorization": f"Bearer {seller.token}"},
        )
        assert response.status_code == 401
    from sellergate.api.schema import build_schema

    result: Any = build_schema(settings).execute_sync(INTROSPECTION)
    assert result.errors and "introspection" in result.errors[0].message.lower()


def test_a_fragment_bomb_is_refused_at_once_with_or_without_a_real_token(
    http: httpx.Client, seller: Account
) -> None:
    """Regression: a fragment-spread bomb with a made-up, well-formed token held a worker for
    seconds before authentication (7 s at 23 levels, doubling with each)."""
    made_up = generate(TokenKind.ACCESS, staging=True)
    started = time.monotonic()
    for token, status in ((made_up, 401), (seller.token, 200)):
        response = http.post(
            "/seller-api/graphql",
            json={"query": fragment_bomb(30)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == status, response.text
    assert "QUERY_TOO_COSTLY" in response.text
    # Generous for a busy machine; the bomb took seconds per level before.
    assert time.monotonic() - started < 5


def test_documents_are_cached_only_once_a_request_authenticated(
    server: InProcessServer, http: httpx.Client, seller: Account
) -> None:
    """Regression: 120 distinct 1 MB documents with a made-up token grew a worker by 166 MB:
    the cache filled before authentication and was bounded by entries only."""
    endpoint = server.app.state.graphql
    made_up = generate(TokenKind.ACCESS, staging=True)
    padding = " " * 200_000
    for n in range(5):
        response = http.post(
            "/seller-api/graphql",
            json={"query": f"{{ me {{ username }} }} # {n}{padding}"},
            headers={"Authorization": f"Bearer {made_up}"},
        )
        assert response.status_code == 401
    assert len(endpoint.plans) == 0 and len(endpoint.operations.prepared) == 0
    response = http.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }" + padding},
        headers={"Authorization": f"Bearer {seller.token}"},
    )
    assert response.status_code == 200
    assert len(endpoint.plans) == 1 and len(endpoint.operations.prepared) == 1


def test_the_document_cache_is_bounded_by_bytes() -> None:
    from sellergate.api.cache import DocumentCache

    cache: DocumentCache[str, int] = DocumentCache(entries=100, max_bytes=1000)
    for n in range(10):
        cache.put(f"doc{n}", n, 300)
    assert len(cache) == 3 and cache.bytes == 900
    assert cache.get("doc0") is None and cache.get("doc9") == 9
    cache.put("huge", 0, 1001)
    assert cache.get("huge") is None
