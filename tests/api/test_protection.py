"""Limits on depth, aliases and tokens; introspection and GraphiQL off in production."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.support import Gql, errors_of
from live import Account, MakeServer
from sellergate.config import Settings
from sellergate.storage.database import Database

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
