"""A production server refuses staging tokens, and says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from inprocess import InProcessServer
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import upgrade
from sellergate.tokens.format import TokenKind, generate
from sellergate.web.app import create_app


@pytest.fixture
def production(make_settings: Callable[..., Settings]) -> Iterator[httpx.Client]:
    """A client of a production server on a database it migrated itself."""
    settings = make_settings(
        env="production", public_url="https://api.example.com", secret_key="k" * 40
    )
    db = Database(settings)
    upgrade(db.engine)
    served = InProcessServer(create_app(settings, db))
    served.start()
    with served.client() as client:
        yield client
    served.stop()
    db.dispose()


def test_staging_token_on_production_server(production: httpx.Client) -> None:
    token = generate(TokenKind.ACCESS, staging=True)
    response = production.post(
        "/seller-api/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert "staging token was sent to the production server" in response.headers["www-authenticate"]


def test_graphiql_is_off_in_production(production: httpx.Client) -> None:
    assert production.get("/seller-api/graphql").status_code == 405


def test_health(production: httpx.Client) -> None:
    assert production.get("/healthz").text == "ok"
    assert production.get("/readyz").json()["database"] == "ok"
    metrics = production.get("/metrics").text
    assert "sellergate_http_requests_total" in metrics
