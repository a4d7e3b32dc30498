"""The seller-facing pages that need a session: login, logout, authorization, consent, the
dashboard and its sessions and security-log pages.

They form their own Starlette app behind the server-side session middleware, mounted last in
the main app, so the API's hot path (GraphQL and the bearer check) never looks at a session.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from sellergate.accounts.throttling import LoginThrottle, make_counter
from sellergate.accounts.web_sessions import make_session_store
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.web import consent, dashboard, login, oidc_login, security_pages
from sellergate.web.errors import HTTP_EXCEPTIONS
from sellergate.web.sessions import SessionMiddleware


def create_pages_app(settings: Settings, db: Database) -> Starlette:
    throttle = LoginThrottle(settings, make_counter(settings, db))
    store = make_session_store(settings, db)
    return Starlette(
        routes=[
            *login.routes(settings, db, throttle, store),
            *oidc_login.routes(settings, db, throttle, store),
            *consent.routes(settings, db),
            *dashboard.routes(settings, db),
            *security_pages.routes(settings, db, store),
        ],
        middleware=[Middleware(SessionMiddleware, settings=settings, store=store)],
        exception_handlers=HTTP_EXCEPTIONS,
    )
