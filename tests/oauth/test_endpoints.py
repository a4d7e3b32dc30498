"""Revocation (RFC 7009), introspection (RFC 7662) and metadata (RFC 8414)."""

from __future__ import annotations

import time

import httpx
import pytest
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from live import Account
from oauth.conftest import App, Flow, Register
from sellergate.config import Settings
from sellergate.oauth.metadata import INTROSPECT_PATH, REVOKE_PATH


def introspect(flow: Flow, token: str, app: App | None = None, **extra: str) -> httpx.Response:
    return flow.post(INTROSPECT_PATH, {"token": token, **extra}, app)


def test_introspection_of_own_tokens(flow: Flow, seller: Account) -> None:
    tokens = flow.tokens()
    response = introspect(flow, tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    now = time.time()
    assert body["active"] is True
    assert body["scope"] == "read:inventory read:orders"
    assert body["client_id"] == flow.app.client_id
    assert body["username"] == seller.username
    assert body["sub"] == str(seller.id)
    assert body["token_type"] == "Bearer"
    assert now - 60 < body["iat"] <= now + 1
    assert 3500 < body["exp"] - now <= 3600
    refresh = introspect(flow, tokens["refresh_token"], token_type_hint="refresh_token").json()
    assert refresh["active"] is True and refresh["token_type"] == "refresh_token"
    assert refresh["exp"] - now > 364 * 86400


def test_introspection_sees_only_the_callers_tokens(
    flow: Flow, register: Register, seller: Account
) -> None:
    tokens = flow.tokens()
    other = register(name="Nosy App")
    for token in (tokens["access_token"], tokens["refresh_token"], seller.token):
        assert introspect(flow, token, app=other).json() == {"active": False}
    # a seller's personal token is never introspectable, even by a real app
    assert introspect(flow, seller.token).json() == {"active": False}
    for junk in ("", "garbage", "wn_access_tk_test_" + "A" * 38):
        assert introspect(flow, junk).json() == {"active": False}


def test_dead_tokens_are_inactive(flow: Flow) -> None:
    tokens = flow.tokens()
    flow.refresh(tokens["refresh_token"])
    assert introspect(flow, tokens["refresh_token"]).json() == {"active": False}
    assert introspect(flow, tokens["access_token"]).json()["active"] is True


def test_introspection_requires_a_confidential_app(flow: Flow, public_app: App) -> None:
    tokens = flow.tokens()
    response = introspect(flow, tokens["access_token"], app=public_app)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    anonymous = flow.http.post(INTROSPECT_PATH, data={"token": tokens["access_token"]})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Basic")
    assert introspect(flow, "").status_code == 200
    missing = flow.http.post(INTROSPECT_PATH, data={}, auth=flow.auth())
    assert missing.json()["error"] == "invalid_request"


def test_revoking_an_access_token(flow: Flow) -> None:
    tokens = flow.tokens()
    response = flow.post(REVOKE_PATH, {"token": tokens["access_token"]})
    assert response.status_code == 200
    assert flow.api(tokens["access_token"]).status_code == 401
    assert flow.refresh(tokens["refresh_token"]).status_code == 200


def test_revoking_a_refresh_token_revokes_its_grant(flow: Flow) -> None:
    tokens = flow.tokens()
    other = flow.tokens()
    hint = {"token_type_hint": "refresh_token"}
    assert flow.post(REVOKE_PATH, {"token": tokens["refresh_token"], **hint}).status_code == 200
    assert flow.api(tokens["access_token"]).status_code == 401
    assert flow.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert flow.api(other["access_token"]).status_code == 200


def test_revocation_leaves_other_apps_and_personal_tokens_alone(
    flow: Flow, register: Register, seller: Account
) -> None:
    tokens = flow.tokens()
    other = register(name="Rogue App")
    for token in (tokens["access_token"], tokens["refresh_token"], seller.token, "junk"):
        assert flow.post(REVOKE_PATH, {"token": token}, app=other).status_code == 200
    assert flow.api(tokens["access_token"]).status_code == 200
    assert flow.api(seller.token).status_code == 200


def test_public_app_revokes_with_its_client_id(flow: Flow, public_app: App) -> None:
    flow.app = public_app
    tokens = flow.tokens()
    assert flow.post(REVOKE_PATH, {"token": tokens["refresh_token"]}).status_code == 200
    assert flow.api(tokens["access_token"]).status_code == 401


def test_revocation_errors(flow: Flow) -> None:
    bad = flow.http.post(REVOKE_PATH, data={"token": "x"}, auth=(flow.app.client_id, "nope"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    missing = flow.post(REVOKE_PATH, {})
    assert missing.json()["error"] == "invalid_request"
    # RFC 7009 §2.2.1 and RFC 6749 §5.2: an error of the request, 400 (it once answered 401).
    hint = flow.post(REVOKE_PATH, {"token": "x", "token_type_hint": "id_token"})
    assert hint.status_code == 400 and hint.json()["error"] == "unsupported_token_type"
    assert "www-authenticate" not in hint.headers


def test_metadata(http: httpx.Client, settings: Settings) -> None:
    response = http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    AuthorizationServerMetadata(body).validate()
    base = settings.public_url
    assert body["issuer"] == base
    assert body["authorization_endpoint"] == base + "/seller-api/rest/oauth/authorize"
    assert body["token_endpoint"] == base + "/seller-api/rest/oauth/token"
    assert body["revocation_endpoint"] == base + "/seller-api/rest/oauth/revoke"
    assert body["introspection_endpoint"] == base + "/seller-api/rest/oauth/introspect"
    assert body["response_types_supported"] == ["code"]
    assert body["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert set(body["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "none",
    }
    assert "full_access" not in body["scopes_supported"]
    assert "read:customers" in body["scopes_supported"]


@pytest.mark.parametrize("path", ["/seller-api/rest/oauth/token", "/seller-api/rest/oauth/revoke"])
def test_oauth_endpoints_refuse_get(http: httpx.Client, path: str) -> None:
    assert http.get(path).status_code == 405
