"""One client authentication method per request (RFC 6749 §2.3) at the token, revocation and
introspection endpoints."""

from __future__ import annotations

import httpx
import pytest

from oauth.conftest import Flow
from oauth.test_token import assert_oauth_error
from sellergate.oauth.metadata import INTROSPECT_PATH, REVOKE_PATH, TOKEN_PATH


def request_for(flow: Flow, path: str) -> dict[str, str]:
    if path == TOKEN_PATH:
        return {"grant_type": "refresh_token", "refresh_token": flow.tokens()["refresh_token"]}
    return {"token": flow.tokens()["access_token"]}


def send(flow: Flow, path: str, data: dict[str, str]) -> httpx.Response:
    assert flow.app.secret is not None
    return flow.http.post(path, data=data, auth=(flow.app.client_id, flow.app.secret))


@pytest.mark.parametrize("path", [TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH])
@pytest.mark.parametrize("body_secret", ["right", "wrong"])
def test_basic_and_body_secret_together_are_invalid_request(
    flow: Flow, path: str, body_secret: str
) -> None:
    data = request_for(flow, path)
    secret = flow.app.secret if body_secret == "right" else "wn_client_secret_test_nope"
    assert secret is not None
    refused = send(flow, path, {**data, "client_id": flow.app.client_id, "client_secret": secret})
    assert_oauth_error(refused, "invalid_request")
    assert "not both" in refused.json()["error_description"]
    # Nothing was spent or revoked: the same request with one method works.
    assert send(flow, path, data).status_code == 200


@pytest.mark.parametrize("path", [TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH])
def test_basic_with_the_same_client_id_in_the_body_is_allowed(flow: Flow, path: str) -> None:
    data = request_for(flow, path)
    assert send(flow, path, {**data, "client_id": flow.app.client_id}).status_code == 200


@pytest.mark.parametrize("path", [TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH])
def test_basic_with_another_client_id_in_the_body_is_refused(flow: Flow, path: str) -> None:
    data = request_for(flow, path)
    refused = send(flow, path, {**data, "client_id": "someone-else"})
    assert_oauth_error(refused, "invalid_request")
