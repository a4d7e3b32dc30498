"""One-time credentials under concurrency: of many simultaneous claims exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx

from oauth.conftest import Flow
from sellergate.oauth.metadata import TOKEN_PATH

RACERS = 12


def race(server_url: str, send: Callable[[httpx.Client], httpx.Response]) -> list[int]:
    """Fire ``RACERS`` requests at once from separate connections; their status codes."""
    clients = [httpx.Client(base_url=server_url, timeout=60) for _ in range(RACERS)]
    start = threading.Barrier(RACERS)
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


def test_twelve_simultaneous_refreshes_exactly_one_succeeds(flow: Flow) -> None:
    tokens = flow.tokens()
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    statuses = race(flow.server.url, lambda c: c.post(TOKEN_PATH, data=data, auth=flow.auth()))
    assert sorted(statuses) == [200] + [400] * (RACERS - 1)


def test_simultaneous_exchanges_of_one_code_exactly_one_succeeds(flow: Flow) -> None:
    code = flow.code()
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.app.redirect_uri,
        "code_verifier": flow.verifier,
    }
    statuses = race(flow.server.url, lambda c: c.post(TOKEN_PATH, data=data, auth=flow.auth()))
    assert sorted(statuses) == [200] + [400] * (RACERS - 1)
