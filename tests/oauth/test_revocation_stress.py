"""Revoked means revoked, under refresh storms, on both databases.

Each test runs ``TRIALS`` trials against the server (in process: its real connection pool,
the requests answered concurrently on its event loop and worker threads, as by one worker):
``FAMILIES`` token families refresh in a loop from their own threads and clients, and meanwhile
the family is revoked (Disconnect on the dashboard, reuse detection while a thief keeps
refreshing, ``clients disable``). Once the revoking request has returned, each refresher keeps
refreshing until it is refused (for at most ``AFTER`` seconds); then every family must be
refused (refresh and API) and a check over the tables must find no live token row under a
revoked grant or a disabled app.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, or_, select

from live import Account, Server
from oauth.conftest import App, Browser, Register, hidden_fields
from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.clients import disable_client, get_client
from sellergate.accounts.families import create_grant
from sellergate.accounts.refresh_tokens import mint_refresh_token
from sellergate.config import Settings
from sellergate.oauth.metadata import TOKEN_PATH
from sellergate.scopes import parse_scopes
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken
from sellergate.storage.types import utcnow

TRIALS = 10
FAMILIES = 4
STORM = 0.1  # seconds of refreshing (once every family has refreshed) before the revocation
AFTER = 0.25  # seconds a refresher not yet refused keeps trying after it returned
SCOPES = "read:inventory read:orders"


# The storms send hundreds of requests a second with one app's tokens: what they test is
# revocation, so the rate limits (tested on their own) are off here.
NO_LIMITS = {
    "rate_limit_token": "off",
    "rate_limit_app": "off",
    "rate_limit_client": "off",
    "rate_limit_address": "off",
}


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(**NO_LIMITS)


@dataclass
class Family:
    refresh_token: str
    access_token: str
    first_refresh_token: str
    refreshed: int = 0
    minted_after: list[int] = field(default_factory=list)


def start_families(db: Database, settings: Settings, seller: Account, app: App) -> list[Family]:
    families = []
    with db.session(write=True) as session:
        client_pk = get_client(session, app.client_id).id
        for _ in range(FAMILIES):
            grant_id = create_grant(
                session, seller_id=seller.id, client_pk=client_pk, scopes=SCOPES
            )
            access = mint_access_token(
                session.connection(),
                seller_id=seller.id,
                scopes=parse_scopes(SCOPES),
                staging=True,
                expires_at=utcnow() + timedelta(hours=1),
                client_id=client_pk,
                grant_id=grant_id,
            )
            refresh = mint_refresh_token(
                session.connection(),
                grant_id=grant_id,
                client_pk=client_pk,
                seller_id=seller.id,
                scopes=SCOPES,
                staging=True,
                ttl=settings.refresh_token_ttl,
                access_token_id=access.token_id,
            )
            families.append(Family(refresh, access.token, refresh))
    return families


def api(http: httpx.Client, access_token: str) -> int:
    return http.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {access_token}"},
    ).status_code


def refresh(http: httpx.Client, app: App, refresh_token: str) -> httpx.Response:
    return http.post(
        TOKEN_PATH,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(app.client_id, app.secret or ""),
    )


def storm(server: Server, app: App, families: list[Family], revoke: Callable[[], None]) -> None:
    """Refresh every family in a loop; ``revoke`` after ``STORM`` seconds; then each refresher
    stops at its first refusal, or ``AFTER`` seconds later (a success then is a failure)."""
    revoked = threading.Event()
    stop = threading.Event()
    errors: list[BaseException] = []

    def run(family: Family) -> None:
        try:
            with server.client() as http:
                while not stop.is_set():
                    sent_after_revocation = revoked.is_set()
                    answer = refresh(http, app, family.refresh_token)
                    if answer.status_code == 200:
                        body = answer.json()
                        family.refresh_token = body["refresh_token"]
                        family.access_token = body["access_token"]
                        family.refreshed += 1
                        if sent_after_revocation:
                            # Minted after the revocation returned: the invariant is broken.
                            family.minted_after.append(family.refreshed)
                    elif sent_after_revocation:
                        return
                    else:
                        time.sleep(0.01)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(family,)) for family in families]
    for thread in threads:
        thread.start()
    # On a loaded machine the first refreshes may take a while: revoke mid-storm, not before it.
    deadline = time.monotonic() + 30
    while any(family.refreshed == 0 for family in families) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(STORM)
    revoke()
    revoked.set()
    deadline = time.monotonic() + AFTER
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def assert_all_refused(server: Server, app: App, families: list[Family]) -> None:
    assert sum(family.refreshed for family in families) > 0, "the storm never refreshed"
    with server.client() as http:
        for family in families:
            assert family.minted_after == [], "a refresh succeeded after the revocation"
            assert api(http, family.access_token) == 401
            assert refresh(http, app, family.refresh_token).status_code in (400, 401)


def live_rows_under_revocation(db: Database) -> dict[str, int]:
    """Token rows that are live by their own columns under a revoked grant or disabled app."""
    now = utcnow()
    dead_grant = or_(Grant.revoked_at.is_not(None), Client.disabled_at.is_not(None))
    with db.session() as session:
        access = session.scalar(
            select(func.count())
            .select_from(AccessToken)
            .join(Grant, Grant.id == AccessToken.grant_id)
            .join(Client, Client.id == AccessToken.client_id)
            .where(
                dead_grant,
                AccessToken.revoked_at.is_(None),
                or_(AccessToken.expires_at.is_(None), AccessToken.expires_at > now),
            )
        )
        refresh_rows = session.scalar(
            select(func.count())
            .select_from(RefreshToken)
            .join(Grant, Grant.id == RefreshToken.grant_id)
            .join(Client, Client.id == RefreshToken.client_id)
            .where(
                dead_grant,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.used_at.is_(None),
                RefreshToken.expires_at > now,
            )
        )
        disabled_live_grants = session.scalar(
            select(func.count())
            .select_from(Grant)
            .join(Client, Client.id == Grant.client_id)
            .where(Client.disabled_at.is_not(None), Grant.revoked_at.is_(None))
        )
    return {
        "access": access or 0,
        "refresh": refresh_rows or 0,
        "grants of disabled apps": disabled_live_grants or 0,
    }


NONE_LIVE = {"access": 0, "refresh": 0, "grants of disabled apps": 0}


def test_disconnect_during_refresh_storms(
    server: Server,
    browser: Browser,
    db: Database,
    settings: Settings,
    seller: Account,
    app: App,
) -> None:
    assert browser.login(seller).status_code == 303
    fields = hidden_fields(browser.http.get("/dashboard").text)
    url = f"/dashboard/apps/{app.client_id}/disconnect"

    def disconnect() -> None:
        done = browser.http.post(url, data={**fields, "confirm": "yes"})
        assert done.status_code == 303
        assert "was disconnected" in browser.http.get("/dashboard").text

    for _ in range(TRIALS):
        families = start_families(db, settings, seller, app)
        storm(server, app, families, disconnect)
        assert_all_refused(server, app, families)
        assert live_rows_under_revocation(db) == NONE_LIVE
        assert "No apps are connected" in browser.http.get("/dashboard").text


def test_reuse_detection_while_a_thief_keeps_refreshing(
    server: Server, db: Database, settings: Settings, seller: Account, app: App
) -> None:
    for _ in range(TRIALS):
        families = start_families(db, settings, seller, app)

        def legitimate_client_presents_spent_tokens(families: list[Family] = families) -> None:
            # The families' first tokens were spent by the thief's refreshes (and their
            # successors used), so presenting them is reuse whatever the retry window.
            with server.client() as http:
                deadline = time.monotonic() + 30
                for family in families:
                    while family.refreshed < 2 and time.monotonic() < deadline:
                        time.sleep(0.01)
                    answer = refresh(http, app, family.first_refresh_token)
                    assert answer.status_code == 400
                    assert "revoked" in answer.json()["error_description"]

        storm(server, app, families, legitimate_client_presents_spent_tokens)
        assert_all_refused(server, app, families)
        assert live_rows_under_revocation(db) == NONE_LIVE


def test_clients_disable_during_refresh_storms(
    server: Server,
    db: Database,
    settings: Settings,
    seller: Account,
    register: Register,
) -> None:
    for trial in range(TRIALS):
        app = register(name=f"Storm app {trial}")
        families = start_families(db, settings, seller, app)

        def disable(app: App = app) -> None:
            # What `sellergate clients disable` runs: one writing session.
            with db.session(write=True) as session:
                disable_client(session, app.client_id)

        storm(server, app, families, disable)
        assert_all_refused(server, app, families)
        assert live_rows_under_revocation(db) == NONE_LIVE
