"""Fixtures that serve the app: in this process by default, on a real socket where it matters.

``server``      ``create_app(settings, db)`` served in-process (:class:`inprocess.InProcessServer`,
                no socket): ``server.url``, ``server.app``, ``server.client()``.
``http``        ``server.client()``: an ``httpx.Client`` on the server (no redirects followed); a
                module that overrides ``server`` with ``live_server`` gets one over the socket.
``make_server`` ``make_server(settings, database=db)`` serves another app in-process; stopped
                after the test.
``live_server`` the same app on a real socket: a :class:`LiveServer` (uvicorn in a thread on
                127.0.0.1), for a browser, another process or a client library that opens
                its own connections.
``seller``      a seller ``alice`` (password ``correct-horse-battery``), as a :class:`Account`.
``other_seller`` a seller ``bob`` with his own full-access token, for isolation tests.
``make_token``  ``make_token(seller_id, scopes=..., expires_at=None, client_id=None,
                grant_id=None) -> str`` mints an access token straight into the database.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from inprocess import InProcessServer
from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.sellers import create_seller
from sellergate.config import Settings
from sellergate.scopes import Scope
from sellergate.storage.database import Database
from sellergate.web.app import create_app
from sellergate.web.protocol import CoalescingHttpToolsProtocol

PASSWORD = "correct-horse-battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server(Protocol):
    """What a test needs of a server, in-process or live."""

    app: Starlette
    url: str

    def client(self, **kwargs: Any) -> httpx.Client: ...


class LiveServer:
    def __init__(self, settings: Settings, db: Database, port: int | None = None) -> None:
        self.app = create_app(settings, db)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # as `sellergate serve`: the app decides whom to believe
            http=CoalescingHttpToolsProtocol,  # as `sellergate serve`
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)

    def client(self, **kwargs: Any) -> httpx.Client:
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("timeout", 30)
        return httpx.Client(**kwargs)


@dataclass
class Account:
    id: int
    username: str
    password: str
    token: str


MakeToken = Callable[..., str]


@pytest.fixture
def make_token(db: Database, settings: Settings) -> MakeToken:
    def make(
        seller_id: int,
        scopes: Iterable[Scope] = (Scope.FULL_ACCESS,),
        expires_at: datetime | None = None,
        client_id: int | None = None,
        grant_id: int | None = None,
    ) -> str:
        with db.session(write=True) as session:
            minted = mint_access_token(
                session.connection(),
                seller_id=seller_id,
                scopes=scopes,
                staging=not settings.production,
                expires_at=expires_at,
                client_id=client_id,
                grant_id=grant_id,
            )
            return minted.token

    return make


def _account(db: Database, make_token: MakeToken, username: str) -> Account:
    with db.session(write=True) as session:
        seller_id = create_seller(session, username, f"{username}@example.com", PASSWORD).id
    return Account(seller_id, username, PASSWORD, make_token(seller_id))


@pytest.fixture
def seller(db: Database, make_token: MakeToken) -> Account:
    return _account(db, make_token, "alice")


@pytest.fixture
def other_seller(db: Database, make_token: MakeToken) -> Account:
    return _account(db, make_token, "bob")


MakeServer = Callable[..., InProcessServer]


@pytest.fixture
def make_server(db: Database) -> Iterator[MakeServer]:
    started: list[InProcessServer] = []

    def make(settings: Settings, database: Database | None = None) -> InProcessServer:
        served = InProcessServer(create_app(settings, database or db))
        served.start()
        started.append(served)
        return served

    yield make
    for served in reversed(started):
        served.stop()


@pytest.fixture
def server(settings: Settings, db: Database) -> Iterator[InProcessServer]:
    served = InProcessServer(create_app(settings, db))
    served.start()
    yield served
    served.stop()


@pytest.fixture
def live_server(settings: Settings, db: Database) -> Iterator[LiveServer]:
    live = LiveServer(settings, db)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
