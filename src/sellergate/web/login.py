"""``/login`` and ``/logout``: the seller's session for the consent page and the dashboard.

An attempt is counted (per address and per account, see :mod:`sellergate.accounts.throttling`)
before the password is checked; while a limit is hit the answer is ``429`` with
``Retry-After`` and no password hash is computed. Argon2id runs in a worker thread, never on
the event loop. Sign-in starts a new server-side session (a new id); logout deletes it.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sellergate.accounts.audit import Actor, Detail, EventKind, record_event, record_seller_event
from sellergate.accounts.passwords import MAX_LENGTH, verify_password
from sellergate.accounts.sellers import find_seller
from sellergate.accounts.throttling import LoginThrottle, Verdict
from sellergate.accounts.web_sessions import SessionStore
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.web.addresses import client_address
from sellergate.web.csrf import FIELD, csrf_token, csrf_valid
from sellergate.web.sessions import session_state, signed_in
from sellergate.web.templates import page
from sellergate.web.threads import in_thread

DEFAULT_NEXT = "/dashboard"
MAX_USERNAME = 64


def safe_next(value: object) -> str:
    """Only a path on this server: never an absolute or scheme-relative URL (open redirect)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith(("//", "/\\"))
        and not any(ch in value for ch in "\r\n\t")
    ):
        return value
    return DEFAULT_NEXT


def signed_in_seller(request: Request) -> int | None:
    active = signed_in(request)
    return active.seller_id if active else None


def signed_in_username(request: Request) -> str:
    active = signed_in(request)
    return active.username if active else ""


def routes(
    settings: Settings, db: Database, throttle: LoginThrottle, store: SessionStore
) -> list[Route]:
    networks = settings.trusted_proxy_networks

    def count_attempt(username: str, address: str) -> Verdict:
        verdict = throttle.attempt(username, address)
        if verdict.first_refusal:
            with db.session(write=True) as session:
                seller = find_seller(session, username)
                record_event(
                    session,
                    EventKind.SIGNIN_THROTTLED,
                    actor=Actor.SELLER,
                    seller_id=seller.id if seller else None,
                    address=address,
                    details={"limit": verdict.limit, "retry_after_seconds": verdict.retry_after},
                )
        return verdict

    def sign_in(
        username: str, password: str, address: str, user_agent: str, previous: str | None
    ) -> str | None:
        """The new session's raw id if the password is right; the failure is logged if not."""
        with db.session() as session:
            seller = find_seller(session, username)
            seller_id = seller.id if seller else None
            stored = seller.password_hash if seller else None
        # An unknown name is checked against a dummy hash: the same cost, so no timing oracle.
        if not verify_password(password, stored) or seller_id is None:
            if seller_id is not None:  # failures for unknown names would log typed passwords
                log(EventKind.SIGNIN_FAILED, seller_id, address)
            return None
        raw = store.start(
            seller_id, username, user_agent=user_agent, address=address, replacing=previous
        )
        log(EventKind.SIGNIN_SUCCEEDED, seller_id, address, {"method": "password"})
        throttle.succeeded(username, address)
        return raw

    def sign_out(raw: str, address: str) -> None:
        seller_id = store.end(raw)
        if seller_id is not None:
            log(
                EventKind.SESSION_ENDED,
                seller_id,
                address,
                {"reason": "signed_out", "sessions": 1},
            )

    def log(
        kind: EventKind, seller_id: int, address: str, details: dict[str, Detail] | None = None
    ) -> None:
        record_seller_event(db, kind, seller_id=seller_id, address=address, details=details)

    def form_page(
        request: Request, next_url: str, status: int = 200, error: str = "", username: str = ""
    ) -> Response:
        return page(
            request,
            "login.html",
            status,
            csrf_token=csrf_token(request),
            next_url=next_url,
            error=error,
            username=username or signed_in_username(request),
            password_login=settings.password_login,
            oidc_name=settings.oidc_button_name if settings.oidc_enabled else "",
        )

    async def show(request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next"))
        return form_page(request, next_url)

    async def submit(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        next_url = safe_next(form.get("next"))
        if not settings.password_login:
            return form_page(request, next_url, 403, "Password sign-in is turned off here.")
        if not csrf_valid(request, form.get(FIELD)):
            return form_page(request, next_url, 400, "The form expired. Please try again.")
        username = str(form.get("username") or "").strip().lower()[:MAX_USERNAME]
        password = str(form.get("password") or "")
        address = client_address(request, networks)
        verdict = await in_thread(count_attempt, username, address)
        if not verdict.allowed:
            minutes = (verdict.retry_after + 59) // 60
            at = utcnow() + timedelta(seconds=verdict.retry_after)
            response = form_page(
                request,
                next_url,
                429,
                f"Too many failed attempts. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''} (at {at:%H:%M} UTC).",
                username,
            )
            response.headers["Retry-After"] = str(verdict.retry_after)
            return response
        raw = None
        if username and 0 < len(password) <= MAX_LENGTH:
            state = session_state(request)
            raw = await in_thread(
                sign_in,
                username,
                password,
                address,
                request.headers.get("user-agent", ""),
                state.raw_id,
            )
        if raw is None:
            return form_page(request, next_url, 401, "Wrong username or password.", username)
        state = session_state(request)
        state.new_raw_id, state.active = raw, None
        return RedirectResponse(next_url, status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        if not csrf_valid(request, form.get(FIELD)):
            return form_page(request, DEFAULT_NEXT, 400, "The form expired. Please try again.")
        state = session_state(request)
        if state.raw_id is not None:
            await in_thread(sign_out, state.raw_id, client_address(request, networks))
        state.raw_id, state.active, state.ended = None, None, True
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", show, methods=["GET"]),
        Route("/login", submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
