"""CSRF tokens for the seller-facing forms: one random token per session, compared in constant
time. Every form carries it in a hidden ``csrf_token`` field."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request

SESSION_KEY = "csrf"
FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def csrf_valid(request: Request, submitted: object) -> bool:
    expected = request.session.get(SESSION_KEY)
    return (
        isinstance(expected, str)
        and bool(expected)
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )


def renew(request: Request) -> None:
    """A fresh token, e.g. after login (the pre-login token may be known to someone else)."""
    request.session[SESSION_KEY] = secrets.token_urlsafe(32)
