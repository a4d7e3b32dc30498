"""One-time credentials under concurrency: of many simultaneous claims exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from live import Server
from oauth.conftest import Flow
from sellergate.config import Settings
from sellergate.oauth.metadata import TOKEN_PATH
from sellergate.storage.database import Database
from sellergate.storage.models import RefreshToken

RACERS = 12


def race(
    server: Server, send: Callable[[httpx.Client], httpx.Response], racers: int = RACERS
) -> list[int]:
    """Fire ``racers`` requests at once from separate clients and threads; their status codes."""
    clients = [server.client() for _ in range(racers)]
    start = threading.Barrier(racers)
    statuses: list[int] = []
    lock = threading.Lock()

    def run(client: httpx.Client) -> None:
        start.wait()
        status = send(client).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return statuses


class TestWithoutReuseWindow:
    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings]) -> Settings:
        return make_settings(refresh_reuse_window="0s")

    def test_twelve_simultaneous_refreshes_exactly_one_succeeds(self, flow: Flow) -> None:
        tokens = flow.tokens()
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        statuses = race(flow.server, lambda c: c.post(TOKEN_PATH, data=data, auth=flow.auth()))
        assert sorted(statuses) == [200] + [400] * (RACERS - 1)


def claimable_refresh_tokens(db: Database) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None)
                )
            )
            or 0
        )


def test_simultaneous_retries_of_a_lost_response_only_one_gets_a_pair(
    flow: Flow, db: Database
) -> None:
    tokens = flow.tokens()
    lost = flow.refresh(tokens["refresh_token"])
    assert lost.status_code == 200
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    statuses = race(flow.server, lambda c: c.post(TOKEN_PATH, data=data, auth=flow.auth()))
    # One retry spends the unused successor and gets a pair; the others find that successor
    # used, which is reuse: the family is revoked. Never two live chains.
    assert sorted(statuses) == [200] + [400] * (RACERS - 1)
    assert claimable_refresh_tokens(db) == 0


def test_simultaneous_exchanges_of_one_code_exactly_one_succeeds(flow: Flow) -> None:
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.app.redirect_uri,
        "code_verifier": flow.verifier,
    }
    statuses = race(flow.server, lambda c: c.post(TOKEN_PATH, data=data, auth=flow.auth()))
    assert sorted(statuses) == [200] + [400] * (RACERS - 1)
