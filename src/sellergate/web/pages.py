"""The seller-facing pages that need a session: login, logout, authorization, consent and the
dashboard.

They form their own Starlette app with the session middleware, mounted last in the main app,
so the API's hot path (GraphQL and the bearer check) never decodes a session cookie. The
cookie is signed, HttpOnly, SameSite=Lax, and Secure in production.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware

from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.web import consent, dashboard, login

SESSION_COOKIE = "sellergate_session"
SESSION_SECONDS = 8 * 3600


def create_pages_app(settings: Settings, db: Database) -> Starlette:
    throttle = login.LoginThrottle(settings.login_max_failures, settings.login_lockout_seconds)
    app = Starlette(
        routes=[
            *login.routes(settings, db, throttle),
            *consent.routes(settings, db),
            *dashboard.routes(settings, db),
        ],
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=settings.session_secret,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_SECONDS,
                same_site="lax",
                https_only=settings.production,
            )
        ],
    )
    app.state.login_throttle = throttle
    return app
