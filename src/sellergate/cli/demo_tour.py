"""The tour behind ``sellergate demo``: both servers, the seeded shop and the demo app.

One command, one process: sellergate on ``--port`` (8000) and the demo "Connect" app (a
third-party OAuth client) on ``--app-port`` (8001). On first run it creates the seller ``demo``
with a random password (kept in the data directory and printed each run) and seeds a shop. It
registers the confidential app "Demo Connect app" once; each run rotates that app's secret and
hands it to the demo app in-process, so the secret is never printed or written down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import typer
import uvicorn
from sqlalchemy.orm import Session

from sellergate.accounts.clients import (
    add_redirect_uri,
    list_clients,
    register_client,
    rotate_secret,
    validate_redirect_uri,
)
from sellergate.accounts.personal_tokens import issue_token
from sellergate.accounts.secure_links import reveal_link
from sellergate.accounts.sellers import create_seller, find_seller
from sellergate.cli.context import open_database
from sellergate.config import Settings, load_settings
from sellergate.demo_app.app import create_demo_app
from sellergate.demo_app.client import ClientConfig
from sellergate.errors import SellergateError
from sellergate.shop.seed import seed_demo_shop
from sellergate.web.app import create_app

DEMO_USER = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_CLIENT_NAME = "Demo Connect app"
DEMO_DEVELOPER = "the sellergate demo (runs on your machine)"
DEMO_SCOPES = ("read:inventory", "read:orders", "read:customers")


@dataclass(frozen=True, slots=True)
class DemoClient:
    client_id: str
    secret: str


def provision_demo_client(session: Session, settings: Settings, redirect_uri: str) -> DemoClient:
    """Register the demo app once (or reuse it) and give it a fresh secret, revealed here."""
    validate_redirect_uri(redirect_uri, production=settings.production)
    existing = [
        client
        for client in list_clients(session)
        if client.name == DEMO_CLIENT_NAME
        and client.registered_by == DEMO_DEVELOPER
        and client.disabled_at is None
        and not client.public
    ]
    if existing:
        client = existing[-1]
        add_redirect_uri(session, settings, client.client_id, redirect_uri)
        link = rotate_secret(session, settings, client.client_id)
        client_id = client.client_id
    else:
        registered = register_client(
            session,
            settings,
            name=DEMO_CLIENT_NAME,
            redirect_uris=[redirect_uri],
            scopes=DEMO_SCOPES,
            registered_by=DEMO_DEVELOPER,
        )
        assert registered.link is not None
        link, client_id = registered.link, registered.client_id
    return DemoClient(client_id, reveal_link(session, link.link).secret)


def _demo_seller(session: Session, settings: Settings) -> str:
    """The demo seller's password; the seller and a seeded shop are created on first run."""
    password_file = settings.data_dir / "demo-password"
    if find_seller(session, DEMO_USER) is None:
        password = secrets.token_urlsafe(12)
        seller = create_seller(session, DEMO_USER, DEMO_EMAIL, password)
        seed_demo_shop(session, seller.id)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
        return password
    if password_file.exists():
        return password_file.read_text().strip()
    return "(set before; see the demo-password file in the data directory)"


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SellergateError(
            f"cannot listen on {host}:{port} ({exc.strerror}); "
            "is another demo running? Choose other ports with --port / --app-port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """A uvicorn server that leaves Ctrl+C to :func:`_serve_both`, which stops both."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_both(servers: list[tuple[_Server, socket.socket]]) -> None:
    loop = asyncio.get_running_loop()

    def stop() -> None:
        for server, _ in servers:
            server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        # Loops without signal support (Windows) fall back to KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop)
    tasks = [asyncio.create_task(server.serve(sockets=[sock])) for server, sock in servers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop()  # if one stops, the other follows
        await asyncio.gather(*tasks, return_exceptions=True)


def _server(app: Any, log_level: str) -> _Server:
    # The access log would record secure-link paths and OAuth codes: it stays off.
    return _Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on"))


def run_demo(host: str, port: int, app_port: int, as_json: bool) -> None:
    """Run sellergate and a demo third-party "Connect" app with a seeded shop."""
    if port == app_port:
        raise SellergateError("--port and --app-port must differ")
    browse_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    public_url = f"http://{browse_host}:{port}"
    app_url = f"http://{browse_host}:{app_port}"
    overrides: dict[str, Any] = {"public_url": public_url}
    configured = load_settings()
    if configured.database_url and not configured.sqlalchemy_url.startswith("sqlite:"):
        typer.echo(
            "note: the demo uses the embedded SQLite database, not SELLERGATE_DATABASE_URL",
            err=True,
        )
        overrides["database_url"] = ""
    settings = load_settings(**overrides)
    sockets = [_listen(host, port), _listen(host, app_port)]
    db = open_database(settings)
    with db.session(write=True) as session:
        password = _demo_seller(session, settings)
        client = provision_demo_client(session, settings, f"{app_url}/callback")
        issued = issue_token(
            session, settings, DEMO_USER, label="demo", expires_in=timedelta(days=30)
        )
    link = issued.link.url(public_url)
    info = {
        "sellergate_url": public_url,
        "demo_app_url": app_url,
        "dashboard_url": f"{public_url}/dashboard",
        "graphql_url": f"{public_url}/seller-api/graphql",
        "login": {"username": DEMO_USER, "password": password},
        "secure_link": link,
        "database": settings.sqlalchemy_url,
    }
    if as_json:
        typer.echo(json.dumps(info))
    else:
        typer.echo(_steps(public_url, app_url, password, link, settings.sqlalchemy_url))
    sys.stdout.flush()
    demo_app = create_demo_app(
        ClientConfig(
            sellergate_url=public_url,
            client_id=client.client_id,
            client_secret=client.secret,
            redirect_uri=f"{app_url}/callback",
            scopes=DEMO_SCOPES,
        )
    )
    servers = [
        (_server(create_app(settings, db), settings.log_level), sockets[0]),
        (_server(demo_app, "warning"), sockets[1]),
    ]
    try:
        asyncio.run(_serve_both(servers))
    finally:
        for sock in sockets:
            sock.close()
        db.dispose()
    if not as_json:
        typer.echo("sellergate demo stopped.", err=True)


def _steps(public_url: str, app_url: str, password: str, link: str, database: str) -> str:
    graphql = f"{public_url}/seller-api/graphql"
    return f"""
sellergate demo  (database: {database})

  sellergate          {public_url}
  Demo Connect app    {app_url}
  Demo seller login   {DEMO_USER} / {password}

See an app connect to your shop (under a minute):
  1. Open {app_url} and click "Connect with sellergate".
  2. Sign in as {DEMO_USER} / {password}, read what the app asks for, click "Approve".
  3. You are back in the app, looking at your listings and orders through the Seller API.
  4. Its token is bound to a key only the app holds (DPoP): copy the curl command under
     "Try to steal this token" in the app and run it. sellergate refuses the token sent as
     a Bearer token: 401, WWW-Authenticate: DPoP error="invalid_token".
  5. Open {public_url}/dashboard: the app is under "Connected apps", marked as holding
     key-bound tokens. Disconnect it, reload the app, and watch its token stop working.

Or call the API yourself with a personal token:
  1. Reveal it once (in a browser: {link}), or from the shell:
       TOKEN=$(curl -s -X POST -H 'Accept: application/json' {link}/reveal \\
               | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')
  2. curl -s {graphql} -H "Authorization: Bearer $TOKEN" \\
          -H 'Content-Type: application/json' -d '{{"query": "{{ me {{ username }} }}"}}'
  More tokens: {public_url}/dashboard

Press Ctrl+C to stop both.
"""
