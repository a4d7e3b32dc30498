"""Leak reports at ``POST /secret-scanning/report``, signed as GitHub's partner program does."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from live import Account, MakeServer
from oauth.conftest import Flow, hidden_fields
from sellergate.accounts.audit import EventKind, list_events
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.tokens.format import TokenKind, generate

KEY_ID = "test-key-1"
PATH = "/secret-scanning/report"


@pytest.fixture(scope="module")
def private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_document(key: ec.EllipticCurvePrivateKey, identifier: str = KEY_ID) -> str:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    entry = {"key_identifier": identifier, "key": pem.decode(), "is_current": True}
    return json.dumps({"public_keys": [entry]})


@pytest.fixture
def settings(
    make_settings: Callable[..., Settings], private_key: ec.EllipticCurvePrivateKey
) -> Settings:
    made: Settings = make_settings(secret_scanning_keys=key_document(private_key))
    return made


def signed(
    key: ec.EllipticCurvePrivateKey, items: Any, key_id: str = KEY_ID
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(items).encode()
    signature = base64.b64encode(key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    return body, {
        "Github-Public-Key-Identifier": key_id,
        "Github-Public-Key-Signature": signature,
        "Content-Type": "application/json",
    }


def item(token: str) -> dict[str, str]:
    return {
        "token": token,
        "type": "sellergate_access_token",
        "url": "https://example.com/repo/blob/main/config.py",
        "source": "content",
    }


def me(http: httpx.Client, token: str) -> int:
    response = http.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status_code


def leak_events(db: Database) -> list[dict[str, Any]]:
    with db.session() as session:
        return [
            e.details for e in list_events(session, limit=200) if e.kind == EventKind.TOKEN_LEAKED
        ]


def test_a_live_personal_token_dies_and_the_seller_gets_a_replacement(
    flow: Flow,
    http: httpx.Client,
    private_key: ec.EllipticCurvePrivateKey,
    seller: Account,
    db: Database,
) -> None:
    assert me(http, seller.token) == 200
    body, headers = signed(private_key, [item(seller.token)])
    response = http.post(PATH, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == [
        {
            "token_raw": seller.token,
            "token_type": "sellergate_access_token",
            "label": "true_positive",
        }
    ]
    assert me(http, seller.token) == 401
    [details] = leak_events(db)
    assert details["outcome"] == "rotated" and details["personal"] is True
    assert seller.token not in json.dumps(details)

    flow.browser.login(seller)
    dashboard = flow.browser.http.get("/dashboard")
    assert "was found in public" in dashboard.text
    fields = hidden_fields(dashboard.text.split("data-leaked-token=")[1])
    replacement = details["new_token_id"]
    picked = flow.browser.http.post(f"/dashboard/tokens/{replacement}/rotate", data=fields)
    assert picked.status_code == 303
    assert picked.headers["location"].startswith("/secure-links/")
    new_token = flow.browser.http.post(
        picked.headers["location"] + "/reveal", headers={"Accept": "application/json"}
    ).json()["secret"]
    assert me(http, new_token) == 200
    assert "was found in public" not in flow.browser.http.get("/dashboard").text


def test_an_oauth_token_revokes_its_grant(
    flow: Flow, http: httpx.Client, private_key: ec.EllipticCurvePrivateKey, db: Database
) -> None:
    tokens = flow.tokens()
    assert me(http, tokens["access_token"]) == 200
    body, headers = signed(private_key, [item(tokens["refresh_token"])])
    response = http.post(PATH, content=body, headers=headers)
    assert response.json()[0]["label"] == "true_positive"
    assert me(http, tokens["access_token"]) == 401
    assert flow.refresh(tokens["refresh_token"]).status_code == 400
    [details] = leak_events(db)
    assert details["outcome"] == "grant_revoked" and details["token_type"] == "refresh"


def test_foreign_malformed_and_dead_tokens_are_false_positives(
    http: httpx.Client, private_key: ec.EllipticCurvePrivateKey, seller: Account, db: Database
) -> None:
    foreign = generate(TokenKind.ACCESS, staging=True)
    production = generate(TokenKind.ACCESS, staging=False)
    body, headers = signed(private_key, [item(seller.token)])
    assert http.post(PATH, content=body, headers=headers).status_code == 200
    body, headers = signed(
        private_key,
        [item(foreign), item(production), item("wn_access_tk_test_nonsense"), item(seller.token)],
    )
    response = http.post(PATH, content=body, headers=headers)
    labels = [entry["label"] for entry in response.json()]
    # The last one is ours but already dead: nothing live leaked, though the log keeps it.
    assert labels == ["false_positive"] * 4
    outcomes = [details["outcome"] for details in leak_events(db)]
    assert sorted(outcomes) == ["already_dead", "rotated"]


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "key_id", "missing"],
)
def test_bad_signatures_are_refused_and_change_nothing(
    http: httpx.Client,
    private_key: ec.EllipticCurvePrivateKey,
    seller: Account,
    db: Database,
    tamper: str,
) -> None:
    body, headers = signed(private_key, [item(seller.token)])
    if tamper == "body":
        body = body.replace(b"content", b"commits")
    elif tamper == "signature":
        other = ec.generate_private_key(ec.SECP256R1())
        headers["Github-Public-Key-Signature"] = signed(other, [item(seller.token)])[1][
            "Github-Public-Key-Signature"
        ]
    elif tamper == "key_id":
        headers["Github-Public-Key-Identifier"] = "someone-else"
    else:
        del headers["Github-Public-Key-Signature"]
    response = http.post(PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_signature"
    assert me(http, seller.token) == 200
    assert leak_events(db) == []


def test_a_replayed_report_is_refused(
    http: httpx.Client, private_key: ec.EllipticCurvePrivateKey, seller: Account, db: Database
) -> None:
    body, headers = signed(private_key, [item(seller.token)])
    assert http.post(PATH, content=body, headers=headers).status_code == 200
    again = http.post(PATH, content=body, headers=headers)
    assert again.status_code == 400
    assert "replay" in again.json()["error_description"]
    assert len(leak_events(db)) == 1


@pytest.mark.parametrize(
    "items",
    [{"token": "x"}, [], [{"type": "x"}], [{"token": 5}], [{"token": "x", "url": 3}]],
)
def test_malformed_reports_are_refused(
    http: httpx.Client, private_key: ec.EllipticCurvePrivateKey, items: Any, db: Database
) -> None:
    body, headers = signed(private_key, items)
    response = http.post(PATH, content=body, headers=headers)
    assert response.status_code == 400
    assert leak_events(db) == []


@pytest.mark.databases("sqlite")
def test_reports_are_off_without_keys(
    make_settings: Callable[..., Settings],
    make_server: MakeServer,
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    body, headers = signed(private_key, [item("x")])
    with make_server(make_settings()).client() as client:
        assert client.post(PATH, content=body, headers=headers).status_code == 404


def test_key_setting_is_validated(make_settings: Callable[..., Settings]) -> None:
    from sellergate.config import ConfigError

    for bad in ("{", '{"public_keys": [{"key_identifier": "k", "key": "nope"}]}', "/no/such"):
        with pytest.raises(ConfigError, match="SELLERGATE_SECRET_SCANNING_KEYS"):
            make_settings(secret_scanning_keys=bad)


def test_a_report_whose_url_or_source_names_a_token_prefix_still_revokes(
    http: httpx.Client,
    private_key: ec.EllipticCurvePrivateKey,
    seller: Account,
    db: Database,
) -> None:
    """Regression: text naming a prefix (a file ``wn_access_tk_notes.md``) used to fail the
    security-log write, roll the whole report back and leave the token live."""
    leaked = {
        **item(seller.token),
        "url": "https://example.com/repo/blob/main/wn_access_tk_notes.md",
        "source": "wn_access_tk_dump",
    }
    foreign = item(generate(TokenKind.ACCESS, staging=True))
    body, headers = signed(private_key, [foreign, leaked])
    response = http.post(PATH, content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert [entry["label"] for entry in response.json()] == ["false_positive", "true_positive"]
    assert me(http, seller.token) == 401
    [details] = leak_events(db)
    assert details["url"] == "https://example.com/repo/blob/main/wn_access_tk_[redacted].md"
    assert details["source"] == "wn_access_tk_[redacted]"


def test_a_report_with_a_lone_surrogate_is_refused_before_anything_is_applied(
    http: httpx.Client, private_key: ec.EllipticCurvePrivateKey, seller: Account, db: Database
) -> None:
    """Regression: a report holding "\\ud800" was a 500 after it had been applied (and its
    retry was then refused as a replay)."""
    text = json.dumps([item(seller.token)])[:-2] + ', "source": "\\ud800"}]'
    body = text.encode()
    signature = base64.b64encode(private_key.sign(body, ec.ECDSA(hashes.SHA256()))).decode()
    headers = {
        "Github-Public-Key-Identifier": KEY_ID,
        "Github-Public-Key-Signature": signature,
        "Content-Type": "application/json",
    }
    for _ in range(2):  # the retry gets the same answer, not "replay"
        response = http.post(PATH, content=body, headers=headers)
        assert response.status_code == 400, response.text
        assert "surrogate" in response.text
    assert me(http, seller.token) == 200
    assert leak_events(db) == []
