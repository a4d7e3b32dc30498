"""Throttling that holds across processes: real ``sellergate serve`` servers in subprocesses.

100 concurrent wrong passwords for one account go to a server with two workers; a second
server on the same database (or Redis) is asked with the right password in the middle of the
burst. At most ``login_max_failures`` guesses are checked, and the right one is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from live import Account, free_port
from oauth.conftest import hidden_fields
from sellergate.accounts.audit import EventKind, list_events
from sellergate.config import Settings
from sellergate.storage.database import Database

SELLERGATE = str(Path(sys.executable).parent / "sellergate")
BURST = 100


@contextmanager
def serve(settings: Settings, extra: dict[str, str], *workers: int) -> Iterator[list[str]]:
    """One ``sellergate serve`` per item of ``workers`` (its number of workers), all started
    at once; their URLs once every one answers."""
    environment = {
        **os.environ,
        "SELLERGATE_DATABASE_URL": settings.database_url,
        "SELLERGATE_DATA_DIR": str(settings.data_dir),
        "SELLERGATE_LOG_LEVEL": "warning",
        **extra,
    }
    started: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for count in workers:
            port = free_port()
            log = settings.data_dir / f"serve-{port}.log"
            with log.open("wb") as stderr:
                process = subprocess.Popen(
                    [SELLERGATE, "serve", "--port", str(port), "--workers", str(count)],
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                )
            started.append((process, f"http://127.0.0.1:{port}", log))
        deadline = time.monotonic() + 180
        for process, url, log in started:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"sellergate serve did not start:\n{log.read_text()}")
                time.sleep(0.1)
        yield [url for _, url, _ in started]
    finally:
        for process, _, _ in started:
            process.terminate()
        for process, _, _ in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def login_form(url: str) -> tuple[dict[str, str], dict[str, str]]:
    response = httpx.get(f"{url}/login", timeout=30)
    return hidden_fields(response.text), dict(response.cookies)


def burst(settings: Settings, db: Database, seller: Account, extra: dict[str, str]) -> None:
    with serve(settings, extra, 2, 1) as (first, second):
        fields, cookies = login_form(first)
        other_fields, other_cookies = login_form(second)
        locked = threading.Event()
        statuses: list[int] = []

        def guess(_: int) -> int:
            with httpx.Client(base_url=first, cookies=cookies, timeout=120) as client:
                data = {**fields, "username": seller.username, "password": "wrong-guess"}
                status = client.post("/login", data=data).status_code
            if status == 429:
                locked.set()
            return status

        with ThreadPoolExecutor(max_workers=BURST) as pool:
            pending = pool.map(guess, range(BURST))
            assert locked.wait(timeout=120)
            # The right password, at the other server, while the burst is still arriving.
            with httpx.Client(base_url=second, cookies=other_cookies, timeout=120) as client:
                data = {**other_fields, "username": seller.username, "password": seller.password}
                right = client.post("/login", data=data)
            statuses = list(pending)
    assert right.status_code == 429
    assert "retry-after" in right.headers
    assert statuses.count(401) <= settings.login_max_failures
    assert statuses.count(401) + statuses.count(429) == BURST
    with db.session() as session:
        events = list_events(session, seller_id=seller.id, limit=200)
    # Failures are logged only for passwords actually checked; each lockout once (the
    # account's, and the address's once the burst passed its limit too).
    assert [e.kind for e in events].count(EventKind.SIGNIN_FAILED) == statuses.count(401)
    throttled = [e.details["limit"] for e in events if e.kind == EventKind.SIGNIN_THROTTLED]
    assert sorted(throttled) == ["account", "address"]
    assert EventKind.SIGNIN_SUCCEEDED not in [e.kind for e in events]


def test_burst_across_workers_and_servers_in_the_database(
    settings: Settings, db: Database, seller: Account
) -> None:
    burst(settings, db, seller, {})


@pytest.mark.databases("sqlite")
def test_burst_across_workers_and_servers_in_redis(
    settings: Settings, db: Database, seller: Account, redis_url: str
) -> None:
    burst(settings, db, seller, {"SELLERGATE_REDIS_URL": redis_url})
