"""Secure links: GET consumes nothing; a reveal succeeds exactly once; then 410 Gone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from live import Account
from sellergate.accounts.personal_tokens import issue_token
from sellergate.accounts.secure_links import create_link
from sellergate.config import Settings
from sellergate.storage.database import Database

JSON = {"Accept": "application/json"}


def new_link(db: Database, settings: Settings, secret: str = "s3cret-value") -> str:
    with db.session(write=True) as session:
        issued = create_link(
            session, secret, purpose="personal_token", subject="test secret", ttl=timedelta(hours=1)
        )
    return f"/secure-links/{issued.link}"


def test_get_never_consumes_and_reveal_works_once(
    http: httpx.Client, db: Database, settings: Settings
) -> None:
    link = new_link(db, settings)
    for _ in range(3):
        page = http.get(link)
        assert page.status_code == 200
        assert "Reveal" in page.text
        assert "s3cret-value" not in page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["referrer-policy"] == "no-referrer"
    revealed = http.post(f"{link}/reveal", headers=JSON)
    assert revealed.status_code == 200
    assert revealed.json()["secret"] == "s3cret-value"
    assert revealed.headers["cache-control"] == "no-store"
    again = http.post(f"{link}/reveal", headers=JSON)
    assert again.status_code == 410
    assert "already used" in again.json()["error_description"]
    assert http.get(link).status_code == 410
    assert "already been used" in http.get(link).text


def test_html_reveal(http: httpx.Client, db: Database, settings: Settings) -> None:
    link = new_link(db, settings)
    page = http.post(f"{link}/reveal")
    assert page.status_code == 200
    assert 'value="s3cret-value"' in page.text
    assert http.post(f"{link}/reveal").status_code == 410


def test_expired_link_is_gone(http: httpx.Client, db: Database) -> None:
    with db.session(write=True) as session:
        issued = create_link(
            session, "x", purpose="personal_token", subject="s", ttl=timedelta(seconds=-1)
        )
    link = f"/secure-links/{issued.link}"
    assert http.get(link).status_code == 410
    response = http.post(f"{link}/reveal", headers=JSON)
    assert response.status_code == 410
    assert "expired" in response.json()["error_description"]


def test_unknown_and_malformed_links(http: httpx.Client, db: Database, settings: Settings) -> None:
    link = new_link(db, settings)
    other = link[:-1] + ("a" if link[-1] != "a" else "b")
    assert http.get(other).status_code == 404
    assert http.post(f"{other}/reveal", headers=JSON).status_code == 404
    assert http.post("/secure-links/x'%20OR%201=1/reveal", headers=JSON).status_code == 404
    assert http.post(f"{link}/reveal", headers=JSON).status_code == 200


def test_twenty_concurrent_reveals_exactly_one_wins(
    http: httpx.Client, db: Database, settings: Settings
) -> None:
    link = new_link(db, settings)

    def reveal(_: int) -> int:
        return http.post(f"{link}/reveal", headers=JSON).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(reveal, range(20)))
    assert sorted(statuses) == [200] + [410] * 19


def test_issued_token_reaches_the_api_through_its_link(
    http: httpx.Client, db: Database, settings: Settings, seller: Account
) -> None:
    with db.session(write=True) as session:
        issued = issue_token(session, settings, seller.username, label="laptop")
    secret = http.post(f"/secure-links/{issued.link.link}/reveal", headers=JSON).json()
    assert secret["purpose"] == "personal_token"
    me = http.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {secret['secret']}"},
    )
    assert me.json() == {"data": {"me": {"username": "alice"}}}
