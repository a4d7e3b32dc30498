"""``/login`` and ``/logout``: the seller's session for the consent page.

Passwords are checked with Argon2id in a worker thread. Failed attempts are counted per
username and client address; after ``login_max_failures`` within ``login_lockout_seconds`` that
pair is refused until the window has passed (in memory: per process, forgotten on restart).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sellergate.accounts.passwords import MAX_LENGTH
from sellergate.accounts.sellers import authenticate
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.web.csrf import FIELD, csrf_token, csrf_valid, renew
from sellergate.web.templates import page

SELLER_KEY = "seller_id"
USERNAME_KEY = "username"
DEFAULT_NEXT = "/dashboard"
MAX_TRACKED = 10_000


class LoginThrottle:
    """Counts failures per key in a sliding window; thread-safe."""

    def __init__(
        self, max_failures: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max(1, max_failures)
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def retry_after(self, key: tuple[str, str]) -> int:
        """Seconds until ``key`` may try again; 0 if it may now."""
        with self._lock:
            now = self.clock()
            times = self._recent(key, now)
            if len(times) < self.max_failures:
                return 0
            return max(1, int(times[-self.max_failures] + self.window - now) + 1)

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            now = self.clock()
            if len(self._failures) >= MAX_TRACKED:
                for other in list(self._failures):
                    self._recent(other, now)
            self._recent(key, now)
            self._failures.setdefault(key, []).append(now)

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)


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
    seller_id = request.session.get(SELLER_KEY)
    return seller_id if isinstance(seller_id, int) else None


def routes(settings: Settings, db: Database, throttle: LoginThrottle) -> list[Route]:
    def check_password(username: str, password: str) -> tuple[int, str] | None:
        with db.session() as session:
            seller = authenticate(session, username, password)
            return (seller.id, seller.username) if seller else None

    def form_page(request: Request, next_url: str, status: int = 200, error: str = "") -> Response:
        return page(
            request,
            "login.html",
            status,
            csrf_token=csrf_token(request),
            next_url=next_url,
            error=error,
            username=request.session.get(USERNAME_KEY, ""),
        )

    async def show(request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next"))
        return form_page(request, next_url)

    async def submit(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        next_url = safe_next(form.get("next"))
        if not csrf_valid(request, form.get(FIELD)):
            return form_page(request, next_url, 400, "The form expired. Please try again.")
        username = str(form.get("username") or "").strip().lower()
        password = str(form.get("password") or "")
        client = request.client.host if request.client else ""
        key = (username, client)
        wait = throttle.retry_after(key)
        if wait:
            minutes = (wait + 59) // 60
            response = form_page(
                request,
                next_url,
                429,
                f"Too many failed attempts. Try again in {minutes} minute"
                f"{'s' if minutes != 1 else ''}.",
            )
            response.headers["Retry-After"] = str(wait)
            return response
        found = None
        if username and 0 < len(password) <= MAX_LENGTH:
            found = await run_in_threadpool(check_password, username, password)
        if found is None:
            throttle.failed(key)
            return form_page(request, next_url, 401, "Wrong username or password.")
        throttle.succeeded(key)
        request.session.clear()
        request.session[SELLER_KEY], request.session[USERNAME_KEY] = found
        renew(request)
        return RedirectResponse(next_url, status_code=303)

    async def logout(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        if not csrf_valid(request, form.get(FIELD)):
            return form_page(request, DEFAULT_NEXT, 400, "The form expired. Please try again.")
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return [
        Route("/login", show, methods=["GET"]),
        Route("/login", submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
