"""A real OpenID Connect provider for the tests: ``tests/node/oidc_provider.mjs`` (panva's
``oidc-provider``) in a Node process on a free port of 127.0.0.1.

Fixtures
--------
``oidc_provider``  the session's provider (started lazily, stopped by its PID at the end);
                   :meth:`OidcProvider.register` points its one client at a sellergate URL.
``oidc_settings``  ``make_settings`` overrides for sign-in through it.

:func:`upstream_sign_in` walks a sign-in as a browser would, with two cookie jars (the app's
client and one for the provider): start at ``/login/oidc``, sign in and consent at the
provider, and return the app's answer to the callback.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from live import free_port

SCRIPT = Path(__file__).parent / "node" / "oidc_provider.mjs"
CLIENT_ID = "sellergate"
CLIENT_SECRET = secrets.token_urlsafe(24)
STEPS = 20


@dataclass
class OidcProvider:
    issuer: str
    admin_secret: str
    process: subprocess.Popen[bytes]
    log: Path  # the provider's stderr (failed back-channel deliveries, warnings)
    kids: list[str] = field(default_factory=list)

    def _admin(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(
            f"{self.issuer}/_test/{path}",
            json=body,
            headers={"Authorization": f"Bearer {self.admin_secret}"},
            timeout=10,
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        self.kids = answer.get("kids", self.kids)
        return answer

    def register(self, public_url: str, backchannel_logout_uri: str | None = None) -> None:
        """One client, ``sellergate``, whose redirect URI is ``public_url``'s callback."""
        client: dict[str, Any] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{public_url}/login/oidc/callback"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
        }
        if backchannel_logout_uri:
            client["backchannel_logout_uri"] = backchannel_logout_uri
            client["backchannel_logout_session_required"] = True
        self._admin("configure", {"clients": [client]})
        self._admin("delay", {"ms": 0})

    def set_claims(self, sub: str, **claims: Any) -> None:
        self._admin("accounts", {sub: claims})

    def rotate_keys(self) -> None:
        self._admin("rotate", {})

    def delay_token_endpoint(self, ms: int) -> None:
        self._admin("delay", {"ms": ms})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start() -> OidcProvider:
    node = shutil.which("node")
    if node is None or not (SCRIPT.parent / "node_modules" / "oidc-provider").exists():
        pytest.fail("node and tests/node/node_modules are needed: run make peers", pytrace=False)
    port = free_port()
    secret = secrets.token_urlsafe(24)
    log = Path(tempfile.mkdtemp(prefix="oidc-provider-")) / "stderr.log"
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [node, str(SCRIPT), str(port), secret],
            stdout=subprocess.PIPE,
            stderr=errors,
            cwd=SCRIPT.parent,
        )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"the OpenID provider did not start: {line!r}")
    return OidcProvider(line.split()[1], secret, process, log)


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    provider = start()
    try:
        yield provider
    finally:
        provider.stop()


def provider_settings(provider: OidcProvider, **extra: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_display_name": "Acme Market",
        "oidc_timeout_seconds": 2.0,
        **extra,
    }


def _form(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', html)
    assert action, html[:500]
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    return action.group(1), fields


def upstream_sign_in(
    app: httpx.Client,
    app_url: str,
    provider: OidcProvider,
    login: str,
    *,
    upstream: httpx.Client | None = None,
    start: str = "/login/oidc",
) -> httpx.Response:
    """The app's answer to the provider's return (a 303 on success, a page otherwise)."""
    jar = upstream or httpx.Client(timeout=10)
    response = app.get(start)
    try:
        for _ in range(STEPS):
            location = response.headers.get("location")
            if response.status_code in (302, 303) and location:
                location = urljoin(str(response.url), location)
                if location.startswith(provider.issuer):
                    response = jar.get(location)
                    continue
                if location.startswith(app_url):
                    target = urlsplit(location)
                    return app.get(f"{target.path}?{target.query}")
                return response
            if response.status_code == 200 and 'name="prompt"' in response.text:
                action, fields = _form(response.text)
                if fields.get("prompt") == "login":
                    fields.update(login=login, password="any-password")
                response = jar.post(urljoin(str(response.url), action), data=fields)
                continue
            return response
    finally:
        if upstream is None:
            jar.close()
    raise AssertionError("the sign-in did not come back")


def wait_until(check: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())
