"""CSRF tokens for the seller-facing forms, compared in constant time.

A token is an HMAC of a secret the browser holds in an HttpOnly cookie: the session id when
the seller is signed in, else a random pre-session key (set with the login form). Nothing is
stored server-side, and the token changes at sign-in because the session id does. Every form
carries it in a hidden ``csrf_token`` field.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request

from sellergate.web.sessions import session_state

FIELD = "csrf_token"


def _expected(request: Request, *, create: bool) -> str | None:
    state = session_state(request)
    basis = state.new_raw_id or state.raw_id or state.anonymous_key
    if basis is None:
        if not create:
            return None
        basis = state.anonymous_key = secrets.token_urlsafe(32)
        state.new_anonymous_key = True
    return hmac.new(basis.encode(), b"sellergate-csrf", hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    token = _expected(request, create=True)
    assert token is not None
    return token


def csrf_valid(request: Request, submitted: object) -> bool:
    expected = _expected(request, create=False)
    return (
        expected is not None
        and isinstance(submitted, str)
        and hmac.compare_digest(expected.encode(), submitted.encode())
    )
