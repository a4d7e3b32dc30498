"""A PostgreSQL restart under load: requests during the outage get 503 with Retry-After, the log
has one line at the start, counts and one line at the end (no traceback per request), and the
server serves again afterwards without a restart of its own.

The test starts a PostgreSQL server of its own (not the session's shared one) to stop it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from inprocess import InProcessServer
from live import LiveServer
from pgserver import PostgresServer, running, start_dedicated
from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.clients import register_client
from sellergate.accounts.secure_links import create_link, reveal_link
from sellergate.accounts.sellers import create_seller
from sellergate.config import Settings, load_settings
from sellergate.oauth.metadata import AUTHORIZE_PATH, INTROSPECT_PATH
from sellergate.scopes import Scope
from sellergate.storage.database import Database
from sellergate.storage.faults import SETTLE_SECONDS
from sellergate.storage.migrate import upgrade
from sellergate.web.app import create_app

CREATE = 'mutation { productCreate(input: {title: "Lamp"}) { product { id } } }'
READ = "{ me { username } }"


@pytest.fixture
def own_pg() -> Iterator[PostgresServer]:
    with running(start_dedicated) as server:
        yield server


def migrated(server: PostgresServer, tmp_path: object) -> tuple[Settings, Database]:
    """A migrated database of its own on ``server``."""
    _, url = server.create_database()
    # Hundreds of requests from one token in seconds: the rate limits are not under test.
    settings = load_settings(
        database_url=url,
        data_dir=str(tmp_path),
        rate_limit_token="off",
        rate_limit_address="off",
        rate_limit_client="off",
    )
    db = Database(settings)
    upgrade(db.engine)
    return settings, db


def test_postgres_restart_under_load(
    own_pg: PostgresServer, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings, db = migrated(own_pg, tmp_path)
    with db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", "correct-horse-battery")
        token = mint_access_token(
            session.connection(),
            seller_id=seller.id,
            scopes=[Scope.FULL_ACCESS],
            staging=True,
            expires_at=None,
        ).token
        link = create_link(session, "s3cret", purpose="t", subject="x", ttl=timedelta(hours=1))
        client = register_client(
            session,
            settings,
            name="Acme",
            redirect_uris=["http://127.0.0.1:9/cb"],
            scopes=["read:inventory"],
        )
        assert client.link is not None
        secret = reveal_link(session, client.link.link).secret
    live = LiveServer(settings, db)
    live.start()
    caplog.set_level(logging.INFO)
    statuses: Counter[int] = Counter()
    stop = threading.Event()
    headers = {"Authorization": f"Bearer {token}"}

    def load() -> None:
        with live.client() as client:
            while not stop.is_set():
                for query in (READ, CREATE):
                    response = client.post(
                        "/seller-api/graphql", json={"query": query}, headers=headers
                    )
                    statuses[response.status_code] += 1
                    if response.status_code == 503:
                        assert response.headers["retry-after"]
                        assert response.json()["errors"][0]["extensions"] == {
                            "code": "SERVICE_UNAVAILABLE"
                        }
                    else:
                        assert response.status_code == 200, response.text
                        assert "errors" not in response.json(), response.text

    workers = [threading.Thread(target=load) for _ in range(3)]
    try:
        for worker in workers:
            worker.start()
        time.sleep(0.5)
        own_pg.pause()
        with live.client() as http:
            time.sleep(1)
            ready = http.get("/readyz")
            assert ready.status_code == 503 and ready.headers["retry-after"]
            person = http.get(f"/secure-links/{link.link}", headers={"Accept": "text/html"})
            assert person.status_code == 503 and "briefly unavailable" in person.text
            authorize = http.get(
                AUTHORIZE_PATH, params={"client_id": client.client_id, "response_type": "code"}
            )
            assert authorize.status_code == 503 and "briefly unavailable" in authorize.text
            oauth = http.post(
                INTROSPECT_PATH, data={"token": token}, auth=(client.client_id, secret)
            )
            assert oauth.status_code == 503 and oauth.headers["retry-after"]
            assert oauth.json()["error"] == "temporarily_unavailable"
            during = statuses[503]
            time.sleep(1)
            own_pg.resume()
            deadline = time.monotonic() + 20
            while http.get("/readyz").status_code != 200:
                assert time.monotonic() < deadline, "did not recover after the restart"
                time.sleep(0.1)
            time.sleep(SETTLE_SECONDS + 0.5)  # the load's successes end the outage
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        live.stop()
        db.dispose()
    assert during > 0 and statuses[200] > 0
    assert set(statuses) <= {200, 503}, statuses
    lines = [r.getMessage() for r in caplog.records if r.name == "sellergate.database"]
    assert lines[0].startswith("database unavailable"), lines
    assert lines[-1].startswith("database available again"), lines
    assert all(line.startswith("database still unavailable") for line in lines[1:-1]), lines
    assert not [
        r
        for r in caplog.records
        if r.exc_info or (r.levelno >= logging.ERROR and r.name != "sellergate.database")
    ], "no traceback per request"


def test_a_restart_between_requests_is_not_an_outage(
    own_pg: PostgresServer, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    """Pooled connections that died with the old server are replaced before use, silently."""
    settings, db = migrated(own_pg, tmp_path)
    served = InProcessServer(create_app(settings, db))
    served.start()
    try:
        with served.client() as client:
            assert client.get("/readyz").status_code == 200
            own_pg.pause()
            own_pg.resume()
            caplog.set_level(logging.INFO)
            assert client.get("/readyz").status_code == 200
    finally:
        served.stop()
        db.dispose()
    assert not [r for r in caplog.records if r.name == "sellergate.database"]
