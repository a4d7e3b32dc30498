"""A production server refuses staging tokens, and says so."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from live import LiveServer
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import upgrade
from sellergate.tokens.format import TokenKind, generate


@pytest.fixture
def production(make_settings: Callable[..., Settings]) -> Iterator[str]:
    settings = make_settings(
        env="production", public_url="https://api.example.com", secret_key="k" * 40
    )
    db = Database(settings)
    upgrade(db.engine)
    live = LiveServer(settings, db)
    live.start()
    yield live.url
    live.stop()
    db.dispose()


def test_staging_token_on_production_server(production: str) -> None:
    token = generate(TokenKind.ACCESS, staging=True)
    response = httpx.post(
        f"{production}/seller-api/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert "staging token was sent to the production server" in response.headers["www-authenticate"]


def test_graphiql_is_off_in_production(production: str) -> None:
    assert httpx.get(f"{production}/seller-api/graphql").status_code == 405


def test_health(production: str) -> None:
    assert httpx.get(f"{production}/healthz").text == "ok"
    assert httpx.get(f"{production}/readyz").json()["database"] == "ok"
    metrics = httpx.get(f"{production}/metrics").text
    assert "sellergate_http_requests_total" in metrics
