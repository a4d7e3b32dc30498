"""Browser tests: Playwright for Python driving the system's Chromium (never a downloaded one).

Fixtures
--------
``chromium``   the session's Chromium (``shutil.which("chromium")``); skipped when there is none,
               except under CI (``$CI`` set), where a missing browser is a failure.
``page``       a fresh browser context and page per test; when the test fails, a screenshot of
               every page it opened goes to ``test-artifacts/``.
``server``     the app on a real socket (:class:`live.LiveServer`): Chromium needs one.
``shop``       the seller ``alice`` with a seeded shop (listings and orders).
``demo_app``   the demo "Connect" app on its own free port, registered with the live server.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from live import Account, LiveServer, free_port
from sellergate.cli.demo_tour import provision_demo_client
from sellergate.config import Settings
from sellergate.demo_app.app import create_demo_app
from sellergate.demo_app.client import ClientConfig
from sellergate.shop.seed import seed_demo_shop
from sellergate.storage.database import Database

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = "test-artifacts"
_REPORT = pytest.StashKey[dict[str, pytest.TestReport]]()


def chromium_path() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    conventional = Path("/usr/bin/chromium")
    return str(conventional) if conventional.exists() else None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORT, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (apt install chromium); browser tests need it"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(params=[True], ids=["js"])
def javascript(request: pytest.FixtureRequest) -> bool:
    """Whether the page runs JavaScript; override with indirect parametrization."""
    enabled: bool = request.param
    return enabled


@pytest.fixture
def page(chromium: Browser, request: pytest.FixtureRequest, javascript: bool) -> Iterator[Page]:
    context = chromium.new_context(
        viewport={"width": 1200, "height": 900}, java_script_enabled=javascript
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        reports = request.node.stash.get(_REPORT, {})
        if any(report.failed for report in reports.values()):
            folder = request.config.rootpath / ARTIFACTS
            folder.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            for number, opened in enumerate(context.pages):
                opened.screenshot(path=str(folder / f"{name}-{number}.png"), full_page=True)
        context.close()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def server(settings: Settings, db: Database, port: int) -> Iterator[LiveServer]:
    """On the port its public URL names: the demo app's DPoP proofs name that URL."""
    live = LiveServer(settings, db, port)
    live.start()
    yield live
    live.stop()


@pytest.fixture
def settings(make_settings: Any, port: int) -> Settings:
    # Last-used times are flushed often, so the dashboard shows them within the test.
    made: Settings = make_settings(
        last_used_flush_seconds=0.2, public_url=f"http://127.0.0.1:{port}"
    )
    return made


@pytest.fixture
def shop(db: Database, seller: Account) -> Account:
    with db.session(write=True) as session:
        seed_demo_shop(session, seller.id, products=12)
    return seller


class ThreadServer:
    """Any ASGI app on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, app: Any = None) -> None:
        config = uvicorn.Config(
            app or self._app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("demo app did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=15)


@dataclass
class DemoApp:
    url: str
    client_id: str


@pytest.fixture
def demo_app(server: LiveServer, db: Database, settings: Settings) -> Iterator[DemoApp]:
    running = ThreadServer(None)
    callback = f"{running.url}/callback"
    with db.session(write=True) as session:
        client = provision_demo_client(session, settings, callback)
    config = ClientConfig(
        sellergate_url=server.url,
        client_id=client.client_id,
        client_secret=client.secret,
        redirect_uri=callback,
    )
    running.start(create_demo_app(config))
    try:
        yield DemoApp(running.url, client.client_id)
    finally:
        running.stop()
