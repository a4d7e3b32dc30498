"""An independent client speaks PAR and DPoP to a running sellergate: panva's openid-client 6
(``tests/node/dpop_client.mjs``), unmodified, with no special-casing of this server: discovery,
a pushed request with a DPoP key, the seller's consent, the code exchange (with the RFC 9207
``iss`` check the library makes), the API, a refresh and the API again."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live import Account, LiveServer, free_port
from oauth.conftest import App, Browser, Register
from sellergate.config import Settings
from sellergate.storage.database import Database

SCRIPT = Path(__file__).resolve().parents[1] / "node" / "dpop_client.mjs"


@pytest.fixture
def live(make_settings: Callable[..., Settings], db: Database) -> Iterator[LiveServer]:
    """A server whose public URL is the one it listens on: proofs name it (``htu``)."""
    port = free_port()
    settings = make_settings(public_url=f"http://127.0.0.1:{port}")
    server = LiveServer(settings, db, port)
    server.start()
    yield server
    server.stop()


def test_openid_client_completes_par_dpop_refresh_and_api(
    live: LiveServer, register: Register, seller: Account
) -> None:
    node = shutil.which("node")
    if node is None or not (SCRIPT.parent / "node_modules" / "openid-client").exists():
        pytest.fail("node and tests/node/node_modules are needed: run make peers", pytrace=False)
    app: App = register(name="Independent Client")
    assert app.secret is not None
    process = subprocess.Popen(
        [node, str(SCRIPT), live.url, app.client_id, app.secret, app.redirect_uri],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    browser = Browser(live)
    try:
        assert process.stdout is not None and process.stdin is not None

        def step() -> dict[str, Any]:
            line = process.stdout.readline() if process.stdout else ""
            assert line, process.stderr.read() if process.stderr else ""
            answer: dict[str, Any] = json.loads(line)
            return answer

        authorize = step()
        assert authorize["step"] == "authorize"
        assert "request_uri=urn" in authorize["url"] and "scope" not in authorize["url"]
        location = browser.connect(authorize["url"].removeprefix(live.url), seller)
        process.stdin.write(location + "\n")
        process.stdin.flush()
        token = step()
        # openid-client reports token types in lower case (RFC 6749 §7.1: case-insensitive).
        assert (token["step"], token["token_type"]) == ("token", "dpop"), token
        first = step()
        assert first["status"] == 200, first
        assert first["body"]["data"]["me"]["username"] == seller.username
        renewed = step()
        assert renewed["step"] == "refresh" and renewed["token_type"] == "dpop"
        second = step()
        assert second["status"] == 200, second
        assert process.wait(timeout=30) == 0
        # The bound token is worthless as a Bearer token.
        stolen = httpx.post(
            live.url + "/seller-api/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {renewed['access_token']}"},
        )
        assert stolen.status_code == 401
    finally:
        browser.close()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
