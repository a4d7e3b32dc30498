"""DPoP-bound tokens through ``/gateway/verify`` (RFC 9449 §7): the proof names the original
request's method and public URL, as the gateway forwards them."""

from __future__ import annotations

import httpx
import pytest

from dpopkeys import DPoPKey
from gateway.support import EXAMPLE_ROUTES, AppToken, app_token
from live import Account, MakeServer
from sellergate.config import Settings
from sellergate.scopes import Scope
from sellergate.storage.database import Database

PUBLIC = "https://api.market.example"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.market.example"}


@pytest.fixture
def http(make_server: MakeServer, make_settings: object) -> httpx.Client:
    settings: Settings = make_settings(gateway_routes=str(EXAMPLE_ROUTES))  # type: ignore[operator]
    return make_server(settings).client()


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def bound(db: Database, settings: Settings, seller: Account, key: DPoPKey) -> AppToken:
    with db.session(write=True) as session:
        return app_token(session, settings, seller.id, [Scope.WRITE_ORDERS], jkt=key.jkt)


def ask(
    http: httpx.Client, scheme: str, token: str, proof: str | None, uri: str = "/v1/orders/1?x=y"
) -> httpx.Response:
    headers = {
        "X-Original-Method": "GET",
        "X-Original-URI": uri,
        "Authorization": f"{scheme} {token}",
        **FORWARDED,
    }
    if proof is not None:
        headers["DPoP"] = proof
    return http.get("/gateway/verify", headers=headers)


def test_a_bound_token_with_its_proof_is_allowed(
    http: httpx.Client, bound: AppToken, key: DPoPKey
) -> None:
    proof = key.proof("GET", PUBLIC + "/v1/orders/1", bound.token)
    response = ask(http, "DPoP", bound.token, proof)
    assert response.status_code == 200, response.text
    assert response.headers["x-sellergate-client-id"] == bound.client_id
    # The same proof again is a replay.
    replayed = ask(http, "DPoP", bound.token, proof)
    assert replayed.status_code == 401
    assert replayed.headers["www-authenticate"].startswith('DPoP error="invalid_dpop_proof"')


def test_a_bound_token_is_refused_without_its_key(
    http: httpx.Client, bound: AppToken, key: DPoPKey
) -> None:
    as_bearer = ask(http, "Bearer", bound.token, None)
    assert as_bearer.status_code == 401
    assert as_bearer.headers["www-authenticate"].startswith('DPoP error="invalid_token"')
    thief = DPoPKey().proof("GET", PUBLIC + "/v1/orders/1", bound.token)
    assert ask(http, "DPoP", bound.token, thief).status_code == 401
    for wrong in (
        key.proof("POST", PUBLIC + "/v1/orders/1", bound.token),  # htm
        key.proof("GET", "https://sellergate.internal/v1/orders/1", bound.token),  # htu
        key.proof("GET", PUBLIC + "/v1/orders/2", bound.token),  # htu: another path
        key.proof("GET", PUBLIC + "/v1/orders/1", "wn_access_tk_test_other"),  # ath
    ):
        refused = ask(http, "DPoP", bound.token, wrong)
        assert refused.status_code == 401, refused.text
        assert 'error="invalid_dpop_proof"' in refused.headers["www-authenticate"]
