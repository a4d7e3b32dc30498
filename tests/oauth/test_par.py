"""Pushed authorization requests (RFC 9126) and the issuer in authorization responses
(RFC 9207), in process on both databases."""

from __future__ import annotations

import threading
from datetime import timedelta
from urllib.parse import urlencode

import httpx

from dpopkeys import DPoPKey
from live import Account, MakeServer
from oauth.conftest import App, Browser, Flow, Register, callback_params
from sellergate.accounts.clients import get_client, update_client
from sellergate.accounts.pushed_requests import claim_pushed, push_request
from sellergate.config import Settings
from sellergate.oauth.metadata import AUTHORIZE_PATH, PAR_PATH, TOKEN_PATH
from sellergate.storage.database import Database

URN = "urn:ietf:params:oauth:request_uri:"
ISSUER = "http://127.0.0.1:8000"


def push(flow: Flow, key: DPoPKey | None = None, **overrides: str | None) -> httpx.Response:
    headers = {"DPoP": key.proof("POST", ISSUER + PAR_PATH)} if key else {}
    data = flow.params(**overrides)
    if flow.app.secret is not None:
        data.pop("client_id")  # authenticated by HTTP Basic: the client_id may be left out
    return flow.http.post(PAR_PATH, data=data, auth=flow.auth(), headers=headers)


def authorize_url(app: App, request_uri: str) -> str:
    return f"{AUTHORIZE_PATH}?{urlencode({'client_id': app.client_id, 'request_uri': request_uri})}"


def exchange(flow: Flow, code: str, key: DPoPKey) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.app.redirect_uri,
        "code_verifier": flow.verifier,
    }
    proof = key.proof("POST", ISSUER + TOKEN_PATH)
    return flow.http.post(TOKEN_PATH, data=data, auth=flow.auth(), headers={"DPoP": proof})


def test_pushed_request_with_dpop_through_to_the_api(flow: Flow, seller: Account) -> None:
    key = DPoPKey()
    pushed = push(flow, key)
    assert pushed.status_code == 201, pushed.text
    body = pushed.json()
    assert body["request_uri"].startswith(URN)
    assert body["expires_in"] == 60
    assert pushed.headers["cache-control"] == "no-store"
    location = flow.browser.connect(authorize_url(flow.app, body["request_uri"]), seller)
    params = callback_params(location)
    assert location.startswith(flow.app.redirect_uri + "?")
    assert params["state"] == "xyz-123"
    assert params["iss"] == ISSUER
    # The DPoP proof sent with the pushed request bound the code to its key (RFC 9449 §10.1).
    tokens = exchange(flow, params["code"], key)
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "DPoP"


def test_a_code_pushed_with_a_proof_needs_that_key(flow: Flow, seller: Account) -> None:
    pushed = push(flow, DPoPKey()).json()
    code = callback_params(
        flow.browser.connect(authorize_url(flow.app, pushed["request_uri"]), seller)
    )
    refused = exchange(flow, code["code"], DPoPKey())
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_dpop_proof"


def test_request_uri_is_single_use_and_the_apps_own(
    flow: Flow, seller: Account, register: Register
) -> None:
    request_uri = push(flow).json()["request_uri"]
    flow.browser.login(seller)
    first = flow.browser.authorize({"client_id": flow.app.client_id, "request_uri": request_uri})
    assert first.status_code == 302
    assert first.headers["location"].startswith("/oauth/consent?")
    again = flow.browser.authorize({"client_id": flow.app.client_id, "request_uri": request_uri})
    assert again.status_code == 400
    assert "request_uri" in again.text
    other = register(name="Other App")
    fresh = push(flow).json()["request_uri"]
    stolen = flow.browser.authorize({"client_id": other.client_id, "request_uri": fresh})
    assert stolen.status_code == 400
    unknown = flow.browser.authorize({"client_id": flow.app.client_id, "request_uri": URN + "x"})
    assert unknown.status_code == 400


def test_par_refuses_bad_requests_to_the_app(flow: Flow) -> None:
    unauthenticated = flow.http.post(PAR_PATH, data=flow.params())
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"
    nested = push(flow, request_uri=URN + "abc")
    assert (nested.status_code, nested.json()["error"]) == (400, "invalid_request")
    wrong_redirect = push(flow, redirect_uri="https://evil.example/cb")
    assert wrong_redirect.status_code == 400
    assert wrong_redirect.json()["error"] == "invalid_request"
    assert "location" not in wrong_redirect.headers
    too_wide = push(flow, scope="read:customers")
    assert (too_wide.status_code, too_wide.json()["error"]) == (400, "invalid_scope")
    mismatched = push(flow, DPoPKey(), dpop_jkt=DPoPKey().jkt)
    assert mismatched.json()["error"] == "invalid_dpop_proof"
    assert flow.http.get(PAR_PATH).status_code == 405


def test_an_app_that_must_push_is_refused_a_plain_request(
    flow: Flow, seller: Account, db: Database
) -> None:
    with db.session(write=True) as session:
        update_client(session, flow.app.client_id, require_par=True)
    flow.browser.login(seller)
    plain = flow.browser.authorize(flow.params())
    assert plain.status_code == 400
    assert "push its authorization requests" in plain.text
    request_uri = push(flow).json()["request_uri"]
    location = flow.browser.connect(authorize_url(flow.app, request_uri), seller)
    assert "code" in callback_params(location)


def test_server_wide_par_requirement(
    make_server: MakeServer, make_settings: object, register: Register, seller: Account
) -> None:
    settings: Settings = make_settings(require_par=True)  # type: ignore[operator]
    server = make_server(settings)
    with server.client() as http:
        document = http.get("/.well-known/oauth-authorization-server").json()
        assert document["require_pushed_authorization_requests"] is True
        browser = Browser(server)
        flow = Flow(server, http, browser, register(), seller)
        browser.login(seller)
        assert browser.authorize(flow.params()).status_code == 400
        request_uri = push(flow).json()["request_uri"]
        assert "code" in callback_params(
            browser.connect(authorize_url(flow.app, request_uri), seller)
        )
        browser.close()


def test_error_redirects_carry_the_issuer(flow: Flow, seller: Account) -> None:
    denied = callback_params(flow.browser.connect(flow.url(), seller, decision="deny"))
    assert denied["error"] == "access_denied"
    assert denied["iss"] == ISSUER
    flow.browser.login(seller)
    bad = flow.browser.authorize(flow.params(response_type="token"))
    assert bad.status_code == 302
    params = callback_params(bad.headers["location"])
    assert params["error"] == "unsupported_response_type"
    assert params["iss"] == ISSUER


def test_concurrent_uses_of_one_request_uri_one_wins(db: Database, app: App) -> None:
    attempts = 4
    with db.session(write=True) as session:
        client_pk = get_client(session, app.client_id).id
        request_uri = push_request(session, client_pk, "a=b", timedelta(seconds=60))
    won: list[str | None] = []
    barrier = threading.Barrier(attempts)

    def claim() -> None:
        barrier.wait()
        with db.session(write=True) as session:
            won.append(claim_pushed(session, request_uri, app.client_id))

    threads = [threading.Thread(target=claim) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert won.count("a=b") == 1
    assert won.count(None) == attempts - 1


def test_only_the_pushed_parameters_count(flow: Flow, seller: Account) -> None:
    request_uri = push(flow, scope="read:inventory", state="pushed-state").json()["request_uri"]
    url = authorize_url(flow.app, request_uri) + "&scope=read%3Aorders&state=edited"
    page = flow.browser.consent_page(url, seller)
    assert "read:inventory" in page.text and "read:orders" not in page.text
    params = callback_params(flow.browser.decide(page))
    assert params["state"] == "pushed-state"
