"""The protocol core on its own, over the in-memory storage: no database, no sockets.

Each test drives :mod:`sellergate.oauth.server` with plain :class:`OAuthRequest` values, the way
the web adapter does, and runs in milliseconds. The same rules are tested end to end over HTTP on
both databases elsewhere in this package.
"""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from oauth.conftest import pkce_pair
from oauth.memory_storage import MemoryStorage
from sellergate.config import Settings, load_settings
from sellergate.oauth.records import ClientRecord
from sellergate.oauth.requests import OAuthRequest, OAuthResponse
from sellergate.oauth.server import (
    AuthorizationRequest,
    authorization_response,
    check_authorization,
    introspection_response,
    revocation_response,
    token_response,
)
from sellergate.tokens.format import TokenKind, generate
from sellergate.tokens.hashing import token_hash

BASE = "http://127.0.0.1:8000/seller-api/rest/oauth"
REDIRECT_URI = "https://acme.example/callback"
SELLER = 7


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path)


class Core:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.storage = MemoryStorage()
        self.secret = generate(TokenKind.CLIENT_SECRET, staging=True)
        self.client = ClientRecord(
            pk=1,
            client_id="acme-client-id",
            name="Acme",
            public=False,
            secret_hash=token_hash(self.secret),
            redirect_uris=[REDIRECT_URI],
            scopes="read:inventory read:orders",
            disabled=False,
        )
        self.storage.clients[self.client.client_id] = self.client
        self.storage.usernames[SELLER] = "alice"

    def basic(self) -> dict[str, str]:
        raw = f"{self.client.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def post(
        self, path: str, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> OAuthResponse:
        handler = {"token": token_response, "revoke": revocation_response}.get(
            path, introspection_response
        )
        sent = self.basic() if headers is None else headers
        request = OAuthRequest("POST", f"{BASE}/{path}", sent, list(params.items()))
        response: OAuthResponse = handler(self.storage, self.settings, request)
        return response

    def code(self) -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": self.client.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "read:orders",
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        url = f"{BASE}/authorize?{urlencode(params)}"
        request = OAuthRequest("GET", url, {}, list(params.items()))
        checked = check_authorization(self.storage, self.settings, request)
        assert isinstance(checked, AuthorizationRequest)
        decided = authorization_response(self.storage, self.settings, request, SELLER, True)
        assert decided.location is not None
        return parse_qs(urlsplit(decided.location).query)["code"][0], verifier

    def tokens(self) -> dict[str, str]:
        code, verifier = self.code()
        response = self.post(
            "token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
        )
        assert response.status == 200, response.body
        assert response.body is not None
        return response.body

    def refresh(self, refresh_token: str) -> OAuthResponse:
        return self.post("token", {"grant_type": "refresh_token", "refresh_token": refresh_token})

    def works(self, pair: dict[str, str]) -> bool:
        return self.storage.bearer_accepts(pair["access_token"])


@pytest.fixture
def core(settings: Settings) -> Core:
    return Core(settings)


def error(response: OAuthResponse) -> str:
    assert response.body is not None
    return str(response.body["error"])


def test_code_exchange_rotation_and_reuse_detection(core: Core) -> None:
    first = core.tokens()
    second = core.refresh(first["refresh_token"]).body
    assert second is not None
    third = core.refresh(second["refresh_token"]).body
    assert third is not None and core.works(third)
    reused = core.refresh(first["refresh_token"])
    assert error(reused) == "invalid_grant"
    assert not any(core.works(pair) for pair in (first, second, third))
    assert error(core.refresh(third["refresh_token"])) == "invalid_grant"
    (family,) = core.storage.families.values()
    assert family.reason == "reuse_detected"


def test_lost_response_retry_keeps_one_chain(core: Core) -> None:
    first = core.tokens()
    lost = core.refresh(first["refresh_token"]).body
    assert lost is not None
    retried = core.refresh(first["refresh_token"])
    assert retried.status == 200 and retried.body is not None
    assert not core.works(lost) and core.works(retried.body)
    # The lost successor was spent by the retry: presenting the first token again is reuse.
    assert error(core.refresh(first["refresh_token"])) == "invalid_grant"
    assert not core.works(retried.body)


def test_code_reuse_revokes_its_family(core: Core) -> None:
    code, verifier = core.code()
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    pair = core.post("token", exchange).body
    assert pair is not None and core.works(pair)
    assert error(core.post("token", exchange)) == "invalid_grant"
    assert not core.works(pair)


def test_revoked_family_refuses_refresh_and_introspects_inactive(core: Core) -> None:
    pair = core.tokens()
    assert core.post("revoke", {"token": pair["refresh_token"]}).status == 200
    assert not core.works(pair)
    refused = core.refresh(pair["refresh_token"])
    assert error(refused) == "invalid_grant"
    assert refused.body is not None and "revoked" in refused.body["error_description"]
    body = core.post("introspect", {"token": pair["access_token"]}).body
    assert body == {"active": False}


def test_two_client_authentication_methods_are_invalid_request(core: Core) -> None:
    pair = core.tokens()
    both = {"token": pair["access_token"], "client_secret": core.secret}
    for path in ("token", "revoke", "introspect"):
        assert error(core.post(path, both)) == "invalid_request"
    body = core.post("introspect", {"token": pair["access_token"]}).body
    assert body is not None and body["active"] is True


def test_a_used_pair_is_not_replaced_by_a_retry(core: Core) -> None:
    first = core.tokens()
    second = core.refresh(first["refresh_token"]).body
    assert second is not None and core.works(second)
    assert error(core.refresh(first["refresh_token"])) == "invalid_grant"
    assert not core.works(second)
    (family,) = core.storage.families.values()
    assert family.reason == "reuse_detected"


def test_a_token_spent_by_a_retry_is_reuse(core: Core) -> None:
    first = core.tokens()
    second = core.refresh(first["refresh_token"]).body
    third = core.refresh(first["refresh_token"]).body
    assert second is not None and third is not None
    assert error(core.refresh(second["refresh_token"])) == "invalid_grant"
    assert not core.works(third)
    (family,) = core.storage.families.values()
    assert family.reason == "reuse_detected"
