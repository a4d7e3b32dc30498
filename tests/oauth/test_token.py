"""The token endpoint (RFC 6749 §4.1.3-§5.2, §6): codes, PKCE, rotation and reuse detection."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from oauth.conftest import App, Flow, Register
from sellergate.accounts.clients import disable_client
from sellergate.config import ConfigError, Settings
from sellergate.oauth.metadata import TOKEN_PATH
from sellergate.storage.database import Database
from sellergate.storage.models import AuthorizationCode, RefreshToken
from sellergate.storage.types import utcnow


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_token_response_shape(flow: Flow) -> None:
    response = flow.exchange(flow.code())
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read:inventory read:orders"
    assert flow.api(body["access_token"]).status_code == 200


def test_client_secret_post_works_too(flow: Flow) -> None:
    code = flow.code()
    response = flow.http.post(
        TOKEN_PATH,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.app.redirect_uri,
            "code_verifier": flow.verifier,
            "client_id": flow.app.client_id,
            "client_secret": flow.app.secret or "",
        },
    )
    assert response.status_code == 200, response.text


def test_code_is_single_use_and_reuse_revokes_its_tokens(flow: Flow) -> None:
    code = flow.code()
    first = flow.exchange(code)
    assert first.status_code == 200
    tokens = first.json()
    assert flow.api(tokens["access_token"]).status_code == 200
    second = flow.exchange(code)
    assert_oauth_error(second, "invalid_grant")
    assert "already used" in second.json()["error_description"]
    assert flow.api(tokens["access_token"]).status_code == 401
    assert_oauth_error(flow.refresh(tokens["refresh_token"]), "invalid_grant")


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_verifier": "x" * 43}, "invalid_grant"),
        ({"code_verifier": ""}, "invalid_request"),
        ({"code_verifier": "short"}, "invalid_request"),
        ({"redirect_uri": "http://127.0.0.1:9/other"}, "invalid_grant"),
        ({"code": "not-a-code"}, "invalid_grant"),
    ],
)
def test_exchange_errors(flow: Flow, extra: dict[str, str], error: str) -> None:
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.app.redirect_uri,
        "code_verifier": flow.verifier,
        **extra,
    }
    response = flow.post(TOKEN_PATH, {k: v for k, v in data.items() if v})
    assert_oauth_error(response, error)


def test_verifier_without_challenge_is_refused(flow: Flow) -> None:
    code = flow.code(code_challenge=None, code_challenge_method=None)
    assert_oauth_error(flow.exchange(code), "invalid_request")
    ok_code = flow.code(code_challenge=None, code_challenge_method=None)
    flow.verifier = ""
    assert flow.exchange(ok_code).status_code == 200


def test_rfc_7636_example_pair_is_accepted_and_its_verifier_is_checked(flow: Flow) -> None:
    """The pair of RFC 7636 Appendix B, written out here rather than computed, so the test does
    not share its S256 arithmetic with the server: the pair is accepted, a verifier one
    character off is refused."""
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    code = flow.code(code_challenge=challenge)
    flow.verifier = verifier[:-1] + "j"
    assert_oauth_error(flow.exchange(code), "invalid_grant")
    code = flow.code(code_challenge=challenge)
    flow.verifier = verifier
    response = flow.exchange(code)
    assert response.status_code == 200, response.text


def test_code_is_bound_to_its_app(flow: Flow, register: Register) -> None:
    other = register(name="Other App")
    assert_oauth_error(flow.exchange(flow.code(), app=other), "invalid_grant")


def test_expired_code(flow: Flow, db: Database) -> None:
    code = flow.code()
    with db.session(write=True) as session:
        session.execute(
            update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = flow.exchange(code)
    assert_oauth_error(response, "invalid_grant")
    assert "expired" in response.json()["error_description"]


def test_codes_live_ten_minutes_by_default(flow: Flow, db: Database) -> None:
    flow.code()
    with db.session() as session:
        row = session.query(AuthorizationCode).one()
        assert row.expires_at - row.created_at == pytest.approx(
            timedelta(minutes=10), abs=timedelta(seconds=1)
        )


def test_bad_client_credentials_are_401_with_a_basic_challenge(flow: Flow) -> None:
    code = flow.code()
    data = {"grant_type": "authorization_code", "code": code, "code_verifier": flow.verifier}
    for auth in ((flow.app.client_id, "wrong"), ("nobody", "wrong")):
        response = flow.http.post(TOKEN_PATH, data=data, auth=auth)
        assert_oauth_error(response, "invalid_client", 401)
        assert response.headers["www-authenticate"].startswith('Basic realm="sellergate"')
    # a confidential app may not pretend to be public
    response = flow.http.post(TOKEN_PATH, data={**data, "client_id": flow.app.client_id})
    assert_oauth_error(response, "invalid_client", 401)
    assert "www-authenticate" in response.headers
    malformed = {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe").decode()}
    response = flow.http.post(TOKEN_PATH, data=data, headers=malformed)
    assert_oauth_error(response, "invalid_client", 401)


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "implicit", "foo"])
def test_other_grant_types_are_unsupported(flow: Flow, grant_type: str) -> None:
    response = flow.post(TOKEN_PATH, {"grant_type": grant_type})
    assert_oauth_error(response, "unsupported_grant_type")


def test_malformed_token_requests(flow: Flow) -> None:
    assert_oauth_error(flow.post(TOKEN_PATH, {}), "invalid_request")
    response = flow.http.post(
        TOKEN_PATH + "?grant_type=refresh_token", json={"grant_type": "refresh_token"}
    )
    assert_oauth_error(response, "invalid_request")
    response = flow.http.post(
        TOKEN_PATH,
        content="grant_type=refresh_token&grant_type=authorization_code",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=flow.auth(),
    )
    assert_oauth_error(response, "invalid_request")
    assert flow.http.get(TOKEN_PATH).status_code == 405


def test_refresh_rotates_and_reuse_revokes_the_whole_grant(flow: Flow) -> None:
    first = flow.tokens()
    second_response = flow.refresh(first["refresh_token"])
    assert second_response.status_code == 200
    assert second_response.headers["cache-control"] == "no-store"
    second = second_response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["refresh_token"].startswith("wn_refresh_tk_test_")
    third = flow.refresh(second["refresh_token"]).json()
    for access in (first, second, third):
        assert flow.api(access["access_token"]).status_code == 200

    reused = flow.refresh(first["refresh_token"])
    assert_oauth_error(reused, "invalid_grant")
    assert "already used" in reused.json()["error_description"]
    for access in (first, second, third):
        assert flow.api(access["access_token"]).status_code == 401
    assert_oauth_error(flow.refresh(third["refresh_token"]), "invalid_grant")


def test_reuse_revokes_only_its_own_grant(flow: Flow) -> None:
    one, other = flow.tokens(), flow.tokens()
    successor = flow.refresh(one["refresh_token"]).json()
    flow.refresh(successor["refresh_token"])
    flow.refresh(one["refresh_token"])
    assert flow.api(one["access_token"]).status_code == 401
    assert flow.api(other["access_token"]).status_code == 200
    assert flow.refresh(other["refresh_token"]).status_code == 200


def test_scope_may_be_narrowed_on_refresh_never_widened(flow: Flow) -> None:
    tokens = flow.tokens()
    widened = flow.refresh(tokens["refresh_token"], scope="read:inventory write:inventory")
    assert_oauth_error(widened, "invalid_scope")
    unknown = flow.refresh(tokens["refresh_token"], scope="full_access")
    assert_oauth_error(unknown, "invalid_scope")
    # the refused requests did not spend the refresh token
    narrowed = flow.refresh(tokens["refresh_token"], scope="read:orders")
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["scope"] == "read:orders"
    # the new refresh token keeps the grant's scope (RFC 6749 §6)
    again = flow.refresh(narrowed.json()["refresh_token"])
    assert again.json()["scope"] == "read:inventory read:orders"


def test_refresh_token_is_bound_to_its_app(flow: Flow, register: Register) -> None:
    tokens = flow.tokens()
    other = register(name="Other App")
    assert_oauth_error(flow.refresh(tokens["refresh_token"], app=other), "invalid_grant")
    assert flow.refresh(tokens["refresh_token"]).status_code == 200


@pytest.mark.parametrize(
    "bad", ["", "wn_refresh_tk_test_nope", "wn_access_tk_test_" + "A" * 38, "x" * 5000]
)
def test_malformed_refresh_tokens(flow: Flow, bad: str) -> None:
    response = flow.refresh(bad) if bad else flow.post(TOKEN_PATH, {"grant_type": "refresh_token"})
    assert_oauth_error(response, "invalid_grant" if bad else "invalid_request")


def test_disabled_app_loses_its_tokens_and_cannot_get_more(flow: Flow, db: Database) -> None:
    tokens = flow.tokens()
    code = flow.code()
    with db.session(write=True) as session:
        disable_client(session, flow.app.client_id)
    assert flow.api(tokens["access_token"]).status_code == 401
    for response in (flow.refresh(tokens["refresh_token"]), flow.exchange(code)):
        assert_oauth_error(response, "invalid_client", 401)
        assert "disabled" in response.json()["error_description"]


def test_public_app_exchanges_with_client_id_and_verifier(flow: Flow, public_app: App) -> None:
    flow.app = public_app
    tokens = flow.tokens()
    assert flow.refresh(tokens["refresh_token"]).status_code == 200
    code = flow.code()
    flow.verifier = ""
    assert_oauth_error(flow.exchange(code), "invalid_request")


def backdate_spent_tokens(db: Database, seconds: int) -> None:
    with db.session(write=True) as session:
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.used_at.is_not(None))
            .values(used_at=utcnow() - timedelta(seconds=seconds))
        )


class TestLostResponseRetry:
    """RFC 9700 §4.14.2 with a reuse window (default 30 s): a lost refresh response is
    survivable, and never are two chains of one authorization alive."""

    def test_retry_gets_a_new_pair_and_the_unused_successor_dies(self, flow: Flow) -> None:
        tokens = flow.tokens()
        lost = flow.refresh(tokens["refresh_token"]).json()
        retried = flow.refresh(tokens["refresh_token"])
        assert retried.status_code == 200, retried.text
        again = retried.json()
        assert again["refresh_token"] not in (lost["refresh_token"], tokens["refresh_token"])
        assert flow.api(lost["access_token"]).status_code == 401
        assert flow.api(again["access_token"]).status_code == 200
        following = flow.refresh(again["refresh_token"])
        assert following.status_code == 200
        # The retried pair has been used: the first token is now plainly superseded.
        reused = flow.refresh(tokens["refresh_token"])
        assert_oauth_error(reused, "invalid_grant")
        assert "already used" in reused.json()["error_description"]
        assert flow.api(following.json()["access_token"]).status_code == 401

    def test_successor_used_means_reuse_revokes(self, flow: Flow) -> None:
        tokens = flow.tokens()
        second = flow.refresh(tokens["refresh_token"]).json()
        third = flow.refresh(second["refresh_token"]).json()
        assert_oauth_error(flow.refresh(tokens["refresh_token"]), "invalid_grant")
        for pair in (second, third):
            assert flow.api(pair["access_token"]).status_code == 401
        assert_oauth_error(flow.refresh(third["refresh_token"]), "invalid_grant")

    def test_after_the_window_reuse_revokes(self, flow: Flow, db: Database) -> None:
        tokens = flow.tokens()
        rotated = flow.refresh(tokens["refresh_token"]).json()
        backdate_spent_tokens(db, 31)
        assert_oauth_error(flow.refresh(tokens["refresh_token"]), "invalid_grant")
        assert flow.api(rotated["access_token"]).status_code == 401
        assert_oauth_error(flow.refresh(rotated["refresh_token"]), "invalid_grant")

    def test_window_is_configurable(self, make_settings: Callable[..., Settings]) -> None:
        assert make_settings().refresh_reuse_window == timedelta(seconds=30)
        assert make_settings(refresh_reuse_window="2m").refresh_reuse_window == timedelta(minutes=2)
        with pytest.raises(ConfigError, match="SELLERGATE_REFRESH_REUSE_WINDOW"):
            make_settings(refresh_reuse_window="1h")


class TestWithoutWindow:
    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings]) -> Settings:
        return make_settings(refresh_reuse_window="0s")

    def test_any_reuse_revokes(self, flow: Flow) -> None:
        tokens = flow.tokens()
        rotated = flow.refresh(tokens["refresh_token"]).json()
        assert_oauth_error(flow.refresh(tokens["refresh_token"]), "invalid_grant")
        assert flow.api(rotated["access_token"]).status_code == 401
