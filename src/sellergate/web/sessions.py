"""Server-side sessions for the seller-facing pages, as an ASGI middleware.

The session cookie holds only an opaque id (see :mod:`sellergate.accounts.web_sessions`),
signed with ``SELLERGATE_SECRET_KEY``: a cookie this deployment did not set is refused before
any store is asked, and a new key ends every session. The middleware loads the session once
per request, before the page runs, and sets or clears the
cookie on the way out. Visitors who are not signed in get no session row at all: the login
form's CSRF token comes from a separate random cookie, so anonymous traffic writes nothing.
Cookies are HttpOnly, SameSite=Lax, and Secure in production.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from itsdangerous import BadSignature, Signer
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sellergate.accounts.web_sessions import ActiveSession, SessionStore
from sellergate.config import Settings
from sellergate.web.threads import in_thread

SESSION_COOKIE = "sellergate_session"
ANONYMOUS_COOKIE = "sellergate_csrf"
_SCOPE_KEY = "sellergate.session"
_MAX_COOKIE = 100


@dataclass
class SessionState:
    """What one request knows about its session, and which cookies its response must change."""

    store: SessionStore
    raw_id: str | None
    active: ActiveSession | None
    anonymous_key: str | None
    new_raw_id: str | None = None
    ended: bool = False
    new_anonymous_key: bool = False


def session_state(request: HTTPConnection) -> SessionState:
    state = request.scope.get(_SCOPE_KEY)
    if not isinstance(state, SessionState):
        raise RuntimeError("the pages app must run behind SessionMiddleware")
    return state


class SessionMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, store: SessionStore) -> None:
        self.app = app
        self.settings = settings
        self.store = store
        self.signer = Signer(
            settings.session_secret, salt="sellergate.session", digest_method=hashlib.sha256
        )

    def _unsigned(self, cookie: str | None) -> str | None:
        """The session id in a cookie this deployment signed, or ``None``."""
        if not cookie or len(cookie) > _MAX_COOKIE:
            return None
        try:
            return self.signer.unsign(cookie).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = HTTPConnection(scope).cookies
        cookie = cookies.get(SESSION_COOKIE) or None
        raw = self._unsigned(cookie)
        active = await in_thread(self.store.load, raw) if raw else None
        anonymous = cookies.get(ANONYMOUS_COOKIE) or None
        state = SessionState(
            store=self.store,
            raw_id=raw if active else None,
            active=active,
            anonymous_key=anonymous if anonymous and len(anonymous) <= _MAX_COOKIE else None,
            ended=cookie is not None and active is None,
        )
        scope[_SCOPE_KEY] = state

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += self._cookie_headers(state)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    def _cookie_headers(self, state: SessionState) -> list[tuple[bytes, bytes]]:
        carrier = Response()
        secure = self.settings.production
        if state.new_raw_id is not None:
            carrier.set_cookie(
                SESSION_COOKIE,
                self.signer.sign(state.new_raw_id).decode(),
                max_age=int(self.settings.session_lifetime.total_seconds()),
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        elif state.ended:
            carrier.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure)
        if state.new_anonymous_key and state.anonymous_key:
            carrier.set_cookie(
                ANONYMOUS_COOKIE,
                state.anonymous_key,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
        return [(name, value) for name, value in carrier.raw_headers if name == b"set-cookie"]


def signed_in(request: Request) -> ActiveSession | None:
    return session_state(request).active


def take_flash(request: Request) -> dict[str, str] | None:
    """The one-time message left for this page (taken from the session when it was loaded)."""
    active = signed_in(request)
    if active is None or not active.flash:
        return None
    message = json.loads(active.flash)
    return message if isinstance(message, dict) else None


async def flash_message(request: Request, text: str, kind: str = "ok") -> None:
    """Leave a message for the session's next page (the one a redirect leads to)."""
    state = session_state(request)
    if state.active is not None:
        message = json.dumps({"text": text, "kind": kind})
        await in_thread(state.store.set_flash, state.active, message)
