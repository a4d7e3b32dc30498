"""The app a token request names is read before the request's transaction (``web.lookups``
:class:`ClientLookups`): on PostgreSQL concurrent requests share that read, each is answered
as before, and what the app became after it was read is still checked in the transaction."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from inprocess import Send, together
from sellergate.accounts.clients import (
    disable_client,
    find_client_record,
    get_client,
    register_client,
)
from sellergate.accounts.families import create_grant
from sellergate.accounts.oauth_storage import KnownClient, SqlOAuthStorage
from sellergate.accounts.refresh_tokens import mint_refresh_token
from sellergate.accounts.secure_links import reveal_link
from sellergate.accounts.sellers import create_seller
from sellergate.config import Settings
from sellergate.oauth.metadata import TOKEN_PATH
from sellergate.oauth.requests import OAuthRequest
from sellergate.oauth.server import token_response
from sellergate.storage.database import Database
from sellergate.storage.models import RefreshToken
from sellergate.tokens.hashing import token_hash
from sellergate.web.app import create_app

SCOPES = "read:orders"


@dataclass
class Seeded:
    client_id: str
    secret: str
    refresh_tokens: list[str]


def seed(db: Database, settings: Settings, count: int) -> Seeded:
    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", None)
        registered = register_client(
            session,
            settings,
            name="Acme Orders",
            redirect_uris=["http://127.0.0.1:9/cb"],
            scopes=[SCOPES],
        )
        assert registered.link is not None
        secret = reveal_link(session, registered.link.link).secret
        client = get_client(session, registered.client_id)
        tokens = []
        for _ in range(count):
            grant = create_grant(session, seller_id=seller.id, client_pk=client.id, scopes=SCOPES)
            tokens.append(
                mint_refresh_token(
                    session.connection(),
                    grant_id=grant,
                    client_pk=client.id,
                    seller_id=seller.id,
                    scopes=SCOPES,
                    staging=not settings.production,
                    ttl=timedelta(days=1),
                )
            )
    return Seeded(registered.client_id, secret, tokens)


@pytest.fixture
def client_reads(db: Database) -> Iterator[list[str]]:
    """The statements that read apps by their ``client_id``."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        sql = " ".join(str(args[2]).split())
        if sql.upper().startswith("SELECT") and "FROM clients WHERE clients.client_id" in sql:
            seen.append(sql)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def refresh_form(token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": token}


def refresh(token: str, auth: httpx.Auth) -> Send:
    return lambda http: http.post(TOKEN_PATH, data=refresh_form(token), auth=auth)


@pytest.mark.databases("postgresql")
def test_concurrent_token_requests_share_one_read_of_their_app(
    settings: Settings, db: Database, client_reads: list[str]
) -> None:
    seeded = seed(db, settings, 6)
    good = httpx.BasicAuth(seeded.client_id, seeded.secret)
    wrong = httpx.BasicAuth(seeded.client_id, "not-the-secret")
    unknown = httpx.BasicAuth("no-such-app", seeded.secret)
    asked = [(token, good, 200) for token in seeded.refresh_tokens[:5]]
    asked += [(seeded.refresh_tokens[5], wrong, 401), (seeded.refresh_tokens[5], unknown, 401)]
    app = create_app(settings, db)

    client_reads.clear()
    answers = together(app, [refresh(token, auth) for token, auth, _ in asked])
    for (_, _, status), answer in zip(asked, answers, strict=True):
        assert answer.status_code == status, answer.text
    assert {a.json()["error"] for a in answers[5:]} == {"invalid_client"}
    issued = [a.json()["refresh_token"] for a in answers[:5]]
    assert len(set(issued)) == 5 and not set(issued) & set(seeded.refresh_tokens)
    # Both apps asked for (the real one, the unknown one) in one statement, none in the
    # transactions, and the refused requests spent nothing.
    assert len(client_reads) == 1, client_reads
    assert app.state.clients.batches.sizes.batches == 1
    with db.session() as session:
        spent = session.scalar(
            select(RefreshToken.used_at).where(
                RefreshToken.token_hash == token_hash(seeded.refresh_tokens[5])
            )
        )
    assert spent is None


@pytest.mark.databases("sqlite")
def test_sqlite_reads_the_app_in_the_transaction(
    settings: Settings, db: Database, client_reads: list[str]
) -> None:
    seeded = seed(db, settings, 1)
    app = create_app(settings, db)
    auth = httpx.BasicAuth(seeded.client_id, seeded.secret)

    client_reads.clear()
    (answer,) = together(app, [refresh(seeded.refresh_tokens[0], auth)])
    assert answer.status_code == 200, answer.text
    assert len(client_reads) == 1 and app.state.clients.batches.sizes.batches == 0


def test_an_app_disabled_after_it_was_read_cannot_refresh(settings: Settings, db: Database) -> None:
    seeded = seed(db, settings, 1)
    with db.transaction() as connection:
        stale = find_client_record(connection, seeded.client_id)
    assert stale is not None and not stale.disabled
    with db.session(write=True) as session:
        disable_client(session, seeded.client_id)
    credentials = f"{seeded.client_id}:{seeded.secret}"
    request = OAuthRequest(
        "POST",
        settings.public_url + TOKEN_PATH,
        {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()},
        list(refresh_form(seeded.refresh_tokens[0]).items()),
    )
    with db.transaction(write=True) as connection:
        storage = SqlOAuthStorage(connection=connection, known=KnownClient(seeded.client_id, stale))
        answer = token_response(storage, settings, request)
        storage.flush()
    assert answer.status == 400
    assert answer.body == {"error": "invalid_grant", "error_description": "the app was disabled"}
    with db.session() as session:
        assert session.scalar(select(RefreshToken.used_at)) is None


def test_the_known_app_answers_only_for_its_own_client_id(settings: Settings, db: Database) -> None:
    seeded = seed(db, settings, 1)
    with db.transaction() as connection:
        record = find_client_record(connection, seeded.client_id)
        storage = SqlOAuthStorage(connection=connection, known=KnownClient("other-app", None))
        assert storage.find_client(seeded.client_id) == record  # read, not the known one
        assert storage.find_client("other-app") is None
        known = SqlOAuthStorage(connection=connection, known=KnownClient(seeded.client_id, None))
        assert known.find_client(seeded.client_id) is None  # as read before: no such app
