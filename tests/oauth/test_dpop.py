"""DPoP (RFC 9449) end to end in process, on both databases: binding at the token endpoint, the
DPoP scheme on the Seller API, refusals of stolen, replayed and mismatched proofs, nonces."""

from __future__ import annotations

import time

import httpx
import pytest

from dpopkeys import DPoPKey
from gateway.support import app_token
from live import Account, MakeServer, MakeToken
from oauth.conftest import App, Browser, Flow, Register
from sellergate.accounts.clients import update_client
from sellergate.config import Settings
from sellergate.oauth.metadata import INTROSPECT_PATH, TOKEN_PATH
from sellergate.scopes import Scope
from sellergate.storage.database import Database

API = "/seller-api/graphql"
ME = {"query": "{ me { username } }"}


def token_url(settings: Settings) -> str:
    return settings.public_url + TOKEN_PATH


def api_url(settings: Settings) -> str:
    return settings.public_url + API


def set_mode(db: Database, app: App, mode: str) -> None:
    with db.session(write=True) as session:
        update_client(session, app.client_id, dpop_mode=mode)


def exchange(flow: Flow, settings: Settings, key: DPoPKey | None, code: str) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.app.redirect_uri,
        "code_verifier": flow.verifier,
    }
    if flow.app.secret is None:
        data["client_id"] = flow.app.client_id
    headers = {"DPoP": key.proof("POST", token_url(settings))} if key else {}
    return flow.http.post(TOKEN_PATH, data=data, auth=flow.auth(), headers=headers)


def refresh(flow: Flow, settings: Settings, key: DPoPKey | None, token: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    if flow.app.secret is None:
        data["client_id"] = flow.app.client_id
    headers = {"DPoP": key.proof("POST", token_url(settings))} if key else {}
    return flow.http.post(TOKEN_PATH, data=data, auth=flow.auth(), headers=headers)


def call(http: httpx.Client, token: str, proof: str | None, scheme: str = "DPoP") -> httpx.Response:
    headers = {"Authorization": f"{scheme} {token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return http.post(API, json=ME, headers=headers)


def challenge(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    return response.headers["www-authenticate"]


def test_bound_tokens_through_the_code_flow(
    flow: Flow, settings: Settings, seller: Account
) -> None:
    key = DPoPKey()
    response = exchange(flow, settings, key, flow.code())
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "DPoP"
    access = tokens["access_token"]
    url = api_url(settings)

    answer = call(flow.http, access, key.proof("POST", url, access))
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["me"]["username"] == seller.username

    # Stolen: as a Bearer token (no downgrade), and with a proof by another key.
    assert challenge(call(flow.http, access, None, "Bearer")).startswith(
        'DPoP error="invalid_token"'
    )
    thief = DPoPKey()
    stolen = challenge(call(flow.http, access, thief.proof("POST", url, access)))
    assert stolen.startswith('DPoP error="invalid_dpop_proof"')
    assert 'algs="ES256 EdDSA' in stolen

    # Introspection says it is bound, and to which key (§6.2).
    info = flow.post(INTROSPECT_PATH, {"token": access}).json()
    assert info["token_type"] == "DPoP"
    assert info["cnf"] == {"jkt": key.jkt}

    # A refresh with a proof gets a new bound pair; the new token works with the same key.
    renewed = refresh(flow, settings, key, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["token_type"] == "DPoP"
    new_access = renewed.json()["access_token"]
    assert call(flow.http, new_access, key.proof("POST", url, new_access)).status_code == 200


def test_bad_proofs_at_the_api_are_refused(flow: Flow, settings: Settings) -> None:
    key = DPoPKey()
    access = exchange(flow, settings, key, flow.code()).json()["access_token"]
    url = api_url(settings)
    proof = key.proof("POST", url, access)
    assert call(flow.http, access, proof).status_code == 200
    replayed = challenge(call(flow.http, access, proof))
    assert "already used" in replayed
    cases = {
        "htu": key.proof("POST", settings.public_url + "/elsewhere", access),
        "htm": key.proof("GET", url, access),
        "ath": key.proof("POST", url, "wn_access_tk_test_someoneelse"),
        "iat": key.proof("POST", url, access, iat=int(time.time()) - 3600),
    }
    for claim, bad in cases.items():
        refused = challenge(call(flow.http, access, bad))
        assert refused.startswith('DPoP error="invalid_dpop_proof"'), claim
        assert claim in refused, refused
    # The query string is not part of htu (§4.3 check 9); the proof still works.
    assert call(flow.http, access, key.proof("POST", url + "?x=1", access)).status_code == 200
    # The DPoP scheme without a proof.
    assert "needs a DPoP proof" in challenge(call(flow.http, access, None))


def test_personal_tokens_stay_bearer(
    http: httpx.Client, seller: Account, settings: Settings
) -> None:
    assert call(http, seller.token, None, "Bearer").status_code == 200
    proof = DPoPKey().proof("POST", api_url(settings), seller.token)
    refused = challenge(call(http, seller.token, proof))
    assert refused.startswith('DPoP error="invalid_token"')
    assert "not bound" in refused


def test_public_app_refresh_token_is_bound(
    server: object,
    http: httpx.Client,
    browser: Browser,
    public_app: App,
    seller: Account,
    settings: Settings,
) -> None:
    flow = Flow(server, http, browser, public_app, seller)  # type: ignore[arg-type]
    key = DPoPKey()
    tokens = exchange(flow, settings, key, flow.code()).json()
    assert tokens["token_type"] == "DPoP"
    # Without a proof, or with another key's: refused, and the refresh token is not spent.
    for other in (None, DPoPKey()):
        refused = refresh(flow, settings, other, tokens["refresh_token"])
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"] == "invalid_dpop_proof"
    renewed = refresh(flow, settings, key, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    # The new refresh token is bound to the same key.
    again = refresh(flow, settings, None, renewed.json()["refresh_token"])
    assert again.json()["error"] == "invalid_dpop_proof"
    # A thief without the key who replays the spent token is refused for the key, before reuse
    # detection: the family lives on, and its holder refreshes as before.
    replayed = refresh(flow, settings, DPoPKey(), tokens["refresh_token"])
    assert replayed.json()["error"] == "invalid_dpop_proof"
    assert refresh(flow, settings, key, renewed.json()["refresh_token"]).status_code == 200


def test_confidential_app_refresh_token_is_not_bound(flow: Flow, settings: Settings) -> None:
    key = DPoPKey()
    tokens = exchange(flow, settings, key, flow.code()).json()
    renewed = refresh(flow, settings, None, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["token_type"] == "Bearer"


def test_required_mode_refuses_a_request_without_proof(
    flow: Flow, settings: Settings, db: Database
) -> None:
    set_mode(db, flow.app, "required")
    code = flow.code()
    refused = exchange(flow, settings, None, code)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_dpop_proof"
    # Refused before the code was spent: the same code works with a proof.
    accepted = exchange(flow, settings, DPoPKey(), code)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["token_type"] == "DPoP"


def test_off_mode_issues_bearer_tokens(flow: Flow, settings: Settings, db: Database) -> None:
    set_mode(db, flow.app, "off")
    tokens = exchange(flow, settings, DPoPKey(), flow.code()).json()
    assert tokens["token_type"] == "Bearer"
    assert call(flow.http, tokens["access_token"], None, "Bearer").status_code == 200


def test_dpop_jkt_binds_the_code(flow: Flow, settings: Settings) -> None:
    key = DPoPKey()
    refused = exchange(flow, settings, DPoPKey(), flow.code(dpop_jkt=key.jkt))
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_dpop_proof"
    no_proof = exchange(flow, settings, None, flow.code(dpop_jkt=key.jkt))
    assert no_proof.json()["error"] == "invalid_dpop_proof"
    accepted = exchange(flow, settings, key, flow.code(dpop_jkt=key.jkt))
    assert accepted.status_code == 200, accepted.text


def test_token_endpoint_refuses_bad_proofs(flow: Flow, settings: Settings) -> None:
    key = DPoPKey()
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.app.redirect_uri,
        "code_verifier": flow.verifier,
    }
    for bad in (
        key.proof("GET", token_url(settings)),
        key.proof("POST", settings.public_url + "/other"),
        key.proof("POST", token_url(settings), iat=int(time.time()) + 3600),
        "not.a.proof",
    ):
        refused = flow.http.post(TOKEN_PATH, data=data, auth=flow.auth(), headers={"DPoP": bad})
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_dpop_proof"
        assert refused.headers["cache-control"] == "no-store"
    two = [("DPoP", key.proof("POST", token_url(settings)))] * 2
    refused = flow.http.post(TOKEN_PATH, data=data, auth=flow.auth(), headers=two)
    assert refused.json()["error"] == "invalid_dpop_proof"
    proof = key.proof("POST", token_url(settings))
    first = flow.http.post(TOKEN_PATH, data=data, auth=flow.auth(), headers={"DPoP": proof})
    assert first.status_code == 200, first.text
    tokens = first.json()
    replay = flow.http.post(
        TOKEN_PATH,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=flow.auth(),
        headers={"DPoP": proof},
    )
    assert replay.json()["error"] == "invalid_dpop_proof"
    assert "already used" in replay.json()["error_description"]


@pytest.fixture
def nonce_settings(make_settings: object) -> Settings:
    settings: Settings = make_settings(dpop_nonce=True)  # type: ignore[operator]
    return settings


def test_nonce_round_trip(
    make_server: MakeServer,
    nonce_settings: Settings,
    register: Register,
    seller: Account,
    make_token: MakeToken,
) -> None:
    server = make_server(nonce_settings)
    with server.client() as http:
        browser = Browser(server)
        flow = Flow(server, http, browser, register(), seller)
        key = DPoPKey()
        code = flow.code()
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.app.redirect_uri,
            "code_verifier": flow.verifier,
        }
        url = token_url(nonce_settings)
        first = http.post(
            TOKEN_PATH, data=data, auth=flow.auth(), headers={"DPoP": key.proof("POST", url)}
        )
        assert first.status_code == 400
        assert first.json()["error"] == "use_dpop_nonce"
        nonce = first.headers["dpop-nonce"]
        second = http.post(
            TOKEN_PATH,
            data=data,
            auth=flow.auth(),
            headers={"DPoP": key.proof("POST", url, nonce=nonce)},
        )
        assert second.status_code == 200, second.text
        assert second.headers["dpop-nonce"] == nonce
        access = second.json()["access_token"]
        api = api_url(nonce_settings)
        wrong = call(http, access, key.proof("POST", api, access, nonce="made-up"))
        assert challenge(wrong).startswith('DPoP error="use_dpop_nonce"')
        fresh = wrong.headers["dpop-nonce"]
        assert call(http, access, key.proof("POST", api, access, nonce=fresh)).status_code == 200
        browser.close()


def test_metadata_advertises_dpop_par_and_iss(http: httpx.Client) -> None:
    document = http.get("/.well-known/oauth-authorization-server").json()
    assert {"ES256", "EdDSA", "PS256", "RS256"} <= set(
        document["dpop_signing_alg_values_supported"]
    )
    assert document["pushed_authorization_request_endpoint"].endswith("/seller-api/rest/oauth/par")
    assert document["require_pushed_authorization_requests"] is False
    assert document["authorization_response_iss_parameter_supported"] is True


def test_dashboard_says_which_apps_hold_bound_tokens(
    flow: Flow, settings: Settings, register: Register, seller: Account
) -> None:
    bearer_app = register(name="Plain Bearer App")
    plain = Flow(flow.server, flow.http, flow.browser, bearer_app, seller)
    assert exchange(plain, settings, None, plain.code()).json()["token_type"] == "Bearer"
    page = flow.browser.http.get("/dashboard").text
    assert "Plain Bearer App" in page and 'data-bound="dpop"' not in page
    assert exchange(flow, settings, DPoPKey(), flow.code()).json()["token_type"] == "DPoP"
    page = flow.browser.http.get("/dashboard").text

    def entry(app: App) -> str:
        return page.split(f'data-client-id="{app.client_id}"')[1].split('data-client-id="')[0]

    assert 'data-bound="dpop"' in entry(flow.app)
    assert 'data-bound="dpop"' not in entry(bearer_app)


def test_off_mode_still_checks_proofs_and_bound_refresh_tokens(
    server: object,
    http: httpx.Client,
    browser: Browser,
    public_app: App,
    seller: Account,
    settings: Settings,
    db: Database,
) -> None:
    flow = Flow(server, http, browser, public_app, seller)  # type: ignore[arg-type]
    key = DPoPKey()
    tokens = exchange(flow, settings, key, flow.code()).json()
    set_mode(db, public_app, "off")
    bad = {"DPoP": key.proof("GET", token_url(settings))}
    data = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": public_app.client_id,
    }
    assert http.post(TOKEN_PATH, data=data, headers=bad).json()["error"] == "invalid_dpop_proof"
    assert refresh(flow, settings, None, tokens["refresh_token"]).status_code == 400
    renewed = refresh(flow, settings, key, tokens["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["token_type"] == "Bearer"


def test_a_replay_cache_that_cannot_answer_refuses_proofs_with_a_503(
    make_server: MakeServer, make_settings: object, seller: Account, db: Database
) -> None:
    """Redis down: a proof is never accepted unchecked, and the client is told to retry."""
    settings: Settings = make_settings(redis_url="redis://127.0.0.1:9/0")  # type: ignore[operator]
    key = DPoPKey()
    with db.session(write=True) as session:
        issued = app_token(session, settings, seller.id, [Scope.READ_ORDERS], jkt=key.jkt)
    with make_server(settings).client() as http:
        proof = key.proof("POST", api_url(settings), issued.token)
        answer = call(http, issued.token, proof)
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "5"


def test_bound_tokens_spend_their_own_rate_limit_budget(
    make_server: MakeServer, make_settings: object, seller: Account, db: Database
) -> None:
    settings: Settings = make_settings(rate_limit_token="2/minute")  # type: ignore[operator]
    key = DPoPKey()
    with db.session(write=True) as session:
        issued = app_token(session, settings, seller.id, [Scope.READ_ORDERS], jkt=key.jkt)
    with make_server(settings).client() as http:
        url = api_url(settings)
        answers = [call(http, issued.token, key.proof("POST", url, issued.token)) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[0].headers["ratelimit-limit"] == "2"
