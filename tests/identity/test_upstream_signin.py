"""Sign-in through a real OpenID Connect provider (oidc-provider in Node), end to end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import PUBLIC_URL
from inprocess import InProcessServer
from oidcprovider import OidcProvider, provider_settings, upstream_sign_in
from sellergate.config import Settings
from sellergate.storage.database import Database


@pytest.fixture
def settings(make_settings: Callable[..., Settings], oidc_provider: OidcProvider) -> Settings:
    oidc_provider.register(PUBLIC_URL)
    made: Settings = make_settings(**provider_settings(oidc_provider))
    return made


def test_smoke(server: InProcessServer, oidc_provider: OidcProvider, db: Database) -> None:
    with server.client() as app:
        answer = upstream_sign_in(app, PUBLIC_URL, oidc_provider, "carol")
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/dashboard"
        page = app.get("/dashboard")
        assert page.status_code == 200
        assert "carol" in page.text
