"""The demo "Connect" app: a small third-party web app that integrates with sellergate.

``/`` shows a "Connect with sellergate" button, or, once connected, the seller's listings and
orders read through the Seller API. Tokens stay on this server, in memory, keyed by a random
session id in a signed cookie (``demo_connect_session``; a different name from sellergate's own
cookie, since cookies do not tell ports apart). One lock per session keeps two tabs from
refreshing at once: a rotating refresh token spent twice would revoke the whole authorization.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from sellergate.demo_app.client import (
    ClientConfig,
    Connection,
    PendingAuthorization,
    Refused,
    SellergateClient,
)

HERE = Path(__file__).parent
SESSION_COOKIE = "demo_connect_session"
HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DENIED = {
    "access_denied": "You chose not to connect. Nothing was shared with this app.",
}

templates = Jinja2Templates(directory=str(HERE / "templates"))


def _money(value: dict[str, Any] | None) -> str:
    if not value:
        return "—"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(str(value.get("currency")), "")
    return f"{symbol}{value.get('amount')}" + ("" if symbol else f" {value.get('currency')}")


def _date(value: str) -> str:
    try:
        return datetime.fromisoformat(value).strftime("%b %d, %H:%M")
    except ValueError:
        return value


templates.env.filters["money"] = _money
templates.env.filters["date"] = _date


class Sessions:
    """Per-browser state of this app: pending authorizations and connections."""

    def __init__(self) -> None:
        self.pending: dict[str, PendingAuthorization] = {}
        self.connections: dict[str, Connection] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    def sid(self, request: Request) -> str:
        sid = request.session.get("sid")
        if not isinstance(sid, str) or not sid:
            sid = secrets.token_urlsafe(24)
            request.session["sid"] = sid
        return sid

    def lock(self, sid: str) -> asyncio.Lock:
        return self.locks.setdefault(sid, asyncio.Lock())

    def forget(self, sid: str) -> None:
        self.connections.pop(sid, None)
        self.pending.pop(sid, None)


def create_demo_app(config: ClientConfig, *, session_secret: str | None = None) -> Starlette:
    sessions = Sessions()
    http = httpx.AsyncClient(timeout=15)
    client = SellergateClient(config, http)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        response = templates.TemplateResponse(
            request,
            name,
            {"sellergate_url": config.sellergate_url, "scopes": config.scopes, **context},
            status_code=status,
        )
        response.headers.update(HEADERS)
        return response

    async def home(request: Request) -> Response:
        sid = sessions.sid(request)
        message = request.session.pop("message", "")
        connection = sessions.connections.get(sid)
        if connection is None:
            return render(request, "landing.html", message=message)
        async with sessions.lock(sid):
            try:
                shop = await client.shop(connection)
            except Refused as exc:
                sessions.forget(sid)
                return render(
                    request,
                    "landing.html",
                    401,
                    refused=str(exc),
                )
            except httpx.HTTPError as exc:
                return render(
                    request, "landing.html", 502, message=f"sellergate is unreachable: {exc}"
                )
        return render(request, "shop.html", shop=shop, connection=connection, message=message)

    async def connect(request: Request) -> Response:
        try:
            pending = await client.start()
        except (Refused, httpx.HTTPError) as exc:
            request.session["message"] = f"Could not start connecting: {exc}."
            return RedirectResponse("/", status_code=303)
        sessions.pending[sessions.sid(request)] = pending
        return RedirectResponse(pending.url, status_code=303)

    async def callback(request: Request) -> Response:
        sid = sessions.sid(request)
        pending = sessions.pending.pop(sid, None)
        params = request.query_params
        if pending is None or not secrets.compare_digest(params.get("state", ""), pending.state):
            request.session["message"] = "That sign-in attempt is stale. Please connect again."
            return RedirectResponse("/", status_code=303)
        if "error" in params:
            error = params["error"]
            request.session["message"] = DENIED.get(
                error, f"sellergate said no: {params.get('error_description') or error}."
            )
            return RedirectResponse("/", status_code=303)
        try:
            sessions.connections[sid] = await client.exchange(
                params.get("code", ""), pending.verifier
            )
        except Refused as exc:
            request.session["message"] = f"Could not finish connecting: {exc}."
            return RedirectResponse("/", status_code=303)
        request.session["message"] = "Connected! Your shop data below comes from the Seller API."
        return RedirectResponse("/", status_code=303)

    async def refresh(request: Request) -> Response:
        sid = sessions.sid(request)
        connection = sessions.connections.get(sid)
        if connection is not None:
            async with sessions.lock(sid):
                try:
                    await client.refresh(connection, "you asked for it")
                    request.session["message"] = (
                        "Refreshed: new access and refresh tokens; the old refresh token is dead."
                    )
                except Refused as exc:
                    sessions.forget(sid)
                    request.session["message"] = f"sellergate refused the refresh: {exc}."
        return RedirectResponse("/", status_code=303)

    async def sign_out(request: Request) -> Response:
        sid = sessions.sid(request)
        connection = sessions.connections.get(sid)
        if connection is not None:
            with contextlib.suppress(httpx.HTTPError):
                await client.revoke(connection)
        sessions.forget(sid)
        request.session["message"] = "Disconnected: this app revoked its tokens."
        return RedirectResponse("/", status_code=303)

    async def favicon(_: Request) -> Response:
        return HTMLResponse("", status_code=204)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await http.aclose()

    app = Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/connect", connect, methods=["GET"]),
            Route("/callback", callback, methods=["GET"]),
            Route("/refresh", refresh, methods=["POST"]),
            Route("/sign-out", sign_out, methods=["POST"]),
            Route("/favicon.ico", favicon, methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=session_secret or secrets.token_urlsafe(32),
                session_cookie=SESSION_COOKIE,
                same_site="lax",
            )
        ],
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    return app
