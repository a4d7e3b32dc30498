"""Fixtures for the Seller API tests.

``gql(token, query, **variables)`` posts to the server (in process) and returns the JSON body;
``shop`` is alice's (the ``seller`` fixture) small shop, as :class:`api.support.ShopIds`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.support import Gql, ShopIds, make_shop
from live import Account
from sellergate.storage.database import Database


@pytest.fixture
def gql(http: httpx.Client) -> Gql:
    def call(token: str, query: str, **variables: Any) -> dict[str, Any]:
        response = http.post(
            "/seller-api/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return call


@pytest.fixture
def shop(db: Database, seller: Account) -> ShopIds:
    return make_shop(db, seller.id)
