"""An SQLite file that cannot be written: 503s and a truthful /readyz while it lasts, and
recovery without a restart once it is writable again (issue: a server started on a read-only
file kept failing until restarted)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from faults.unwritable import make_writable, read_only
from inprocess import InProcessServer
from live import Account
from sellergate.accounts.secure_links import create_link
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.faults import SETTLE_SECONDS
from sellergate.web.app import create_app

GRAPHQL = "/seller-api/graphql"
CREATE = 'mutation { productCreate(input: {title: "Lamp"}) { product { id } } }'
COUNT = "{ products { edges { node { title } } } }"


def gql(client: httpx.Client, token: str, query: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        GRAPHQL, json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code, response.json()


@pytest.mark.databases("sqlite")
def test_read_only_file_then_writable(
    settings: Settings, db: Database, seller: Account, caplog: pytest.LogCaptureFixture
) -> None:
    path = Path(settings.sqlalchemy_url.removeprefix("sqlite:///"))
    with db.session(write=True) as session:
        link = create_link(session, "s3cret", purpose="test", subject="x", ttl=timedelta(hours=1))
    db.dispose()  # every connection from here on opens the file as it is now
    caplog.set_level(logging.INFO)
    with read_only(path):
        served = InProcessServer(create_app(settings, db))
        served.start()
        client = served.client()
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        for _ in range(20):
            status, body = gql(client, seller.token, CREATE)
            assert status == 503
            assert body == {
                "errors": [
                    {
                        "message": "the service is temporarily unavailable; retry shortly",
                        "extensions": {"code": "SERVICE_UNAVAILABLE"},
                    }
                ]
            }
        status, body = gql(client, seller.token, COUNT)  # reads still work
        assert status == 200 and body == {"data": {"products": {"edges": []}}}
        person = client.post(f"/secure-links/{link.link}/reveal", headers={"Accept": "text/html"})
        assert person.status_code == 503 and "text/html" in person.headers["content-type"]
        assert "briefly unavailable" in person.text
        make_writable(path)  # the operator fixes the permission; no restart
        time.sleep(SETTLE_SECONDS)  # the outage ends at a success this long after a failure
        assert client.get("/readyz").status_code == 200
        status, body = gql(client, seller.token, CREATE)
        assert status == 200 and "errors" not in body
        client.close()
        served.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "sellergate.database"]
    assert len(lines) == 2, lines
    assert lines[0].startswith("database unavailable (OperationalError: attempt to write")
    assert lines[1].startswith("database available again")
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


def test_wal_files_made_read_only_with_the_database_get_its_permissions_back(
    tmp_path: Path,
) -> None:
    """Regression: a server started on a read-only file (as a non-root user) never recovered
    after ``chmod 644``. SQLite had created ``-shm`` (and ``-wal``) with the database file's
    read-only permissions, so every new connection still opened read-only through them. The
    fault handler gives them the database file's permissions back once it is writable."""
    from sellergate.storage.database import repair_sidecars

    database = tmp_path / "sellergate.db"
    database.write_bytes(b"")
    shm, wal = Path(f"{database}-shm"), Path(f"{database}-wal")
    shm.write_bytes(b"")
    wal.write_bytes(b"")
    for path in (database, shm, wal):
        path.chmod(0o444)
    repair_sidecars(str(database))  # still read-only: nothing is touched
    assert {path.stat().st_mode & 0o777 for path in (database, shm, wal)} == {0o444}
    database.chmod(0o640)  # the operator's fix
    repair_sidecars(str(database))
    assert shm.stat().st_mode & 0o777 == 0o640 and wal.stat().st_mode & 0o777 == 0o640
    wal.unlink()
    repair_sidecars(str(database))  # a missing side file is fine
