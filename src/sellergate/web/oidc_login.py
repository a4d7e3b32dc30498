"""Sign-in through the marketplace's OpenID Connect provider, and its back-channel logout.

``GET /login/oidc`` starts the code flow (:mod:`sellergate.identity.flow`): a ``state`` bound to
this browser's ``sellergate_oidc`` cookie is remembered once, and the browser goes to the
provider. ``GET /login/oidc/callback`` claims that ``state`` (once, in this browser), exchanges
the code, validates the ID token, finds the seller linked to ``(issuer, sub)`` (or creates one,
see :mod:`sellergate.accounts.identities`), and starts a session exactly as a password sign-in
does: a new id, the security log, the ``next`` page. Callbacks are counted per address by the
sign-in throttle. ``POST /login/oidc/backchannel-logout`` (OpenID Connect Back-Channel Logout
1.0 §2.5, §2.8) ends the sessions a valid, unspent logout token names.

Every failure is a page (4xx, or 503 when the provider cannot be reached) and a
``signin.failed`` line in the security log with the upstream error; never a session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sellergate.accounts.audit import Detail, EventKind, record_seller_event
from sellergate.accounts.identities import UpstreamUser, find_linked, sign_in_upstream
from sellergate.accounts.throttling import LoginThrottle
from sellergate.accounts.upstream_signins import (
    SIGNIN_LIFETIME,
    claim_signin,
    remember_signin,
    spend_logout_token,
)
from sellergate.accounts.web_sessions import SessionStore
from sellergate.config import Provisioning, Settings
from sellergate.errors import BadRequest, NotFound, ServiceUnavailable, SigninFailed
from sellergate.identity.flow import CodeFlow, known_error
from sellergate.identity.id_tokens import validate_logout_token
from sellergate.identity.provider import Provider
from sellergate.storage.database import Database
from sellergate.web.addresses import client_address
from sellergate.web.errors import Shape, error_response
from sellergate.web.login import safe_next
from sellergate.web.sessions import session_state
from sellergate.web.threads import in_thread

BROWSER_COOKIE = "sellergate_oidc"
MAX_PARAM = 2048
T = TypeVar("T")


def routes(
    settings: Settings, db: Database, throttle: LoginThrottle, store: SessionStore
) -> list[Route]:
    if not settings.oidc_enabled:

        async def not_configured(request: Request) -> Response:
            return error_response(
                NotFound("sign-in through another provider is not set up here"),
                Shape.PAGE,
                request=request,
                title="Not available",
                message="Sign-in through another provider is not set up here.",
                link=("/login", "Sign in"),
            )

        return [
            Route(path, not_configured, methods=[method])
            for path, method in (
                ("/login/oidc", "GET"),
                ("/login/oidc/callback", "GET"),
                ("/login/oidc/backchannel-logout", "POST"),
            )
        ]
    provider = Provider(settings)
    flow = CodeFlow(settings, provider)
    networks = settings.trusted_proxy_networks
    name = settings.oidc_button_name

    def log(
        kind: EventKind, seller_id: int | None, address: str, details: dict[str, Detail]
    ) -> None:
        record_seller_event(
            db, kind, seller_id=seller_id, address=address, details={"method": "oidc", **details}
        )

    def failure(request: Request, error: SigninFailed) -> Response:
        return error_response(
            error,
            Shape.PAGE,
            request=request,
            title=f"Sign-in with {name} failed",
            message=error.description,
            link=("/login", "Back to sign-in"),
        )

    async def guarded(
        request: Request, address: str, work: Callable[..., T], *args: object
    ) -> T | Response:
        """``work`` in a worker thread; a :class:`SigninFailed` becomes its page and a log line."""
        try:
            return await in_thread(work, *args)
        except SigninFailed as error:
            await in_thread(log, EventKind.SIGNIN_FAILED, None, address, {"error": error.code})
            return failure(request, error)

    async def start(request: Request) -> Response:
        next_url = safe_next(request.query_params.get("next"))
        browser = request.cookies.get(BROWSER_COOKIE) or ""
        if not 40 <= len(browser) <= 64:
            browser = secrets.token_urlsafe(32)
        state = secrets.token_urlsafe(32)
        address = client_address(request, networks)
        url = await guarded(request, address, flow.authorization_url, browser, state)
        if isinstance(url, Response):
            return url

        def remember() -> None:
            with db.session(write=True) as session:
                remember_signin(session, state, browser, next_url)

        await in_thread(remember)
        response = RedirectResponse(url, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=int(SIGNIN_LIFETIME.total_seconds()),
            path="/login/oidc",
            httponly=True,
            samesite="lax",
            secure=settings.production,
        )
        return response

    def complete(
        browser: str, state: str, code: str, address: str, agent: str, previous: str | None
    ) -> tuple[str, str]:
        """Claim the state, finish the flow, link, start the session: (raw id, next page)."""
        with db.session(write=True) as session:
            next_url = claim_signin(session, state, browser)
        if next_url is None:
            raise SigninFailed(
                "This sign-in link was already used or has expired. Please sign in again.",
                code="invalid_state",
            )
        upstream = flow.finish(browser, state, code)
        user = UpstreamUser(
            settings.oidc_issuer, upstream.subject, upstream.username, upstream.email
        )
        with db.session(write=True) as session:
            seller = sign_in_upstream(
                session, user, auto=settings.oidc_provisioning is Provisioning.AUTO
            )
        raw = store.start(
            seller.seller_id,
            seller.username,
            user_agent=agent,
            address=address,
            replacing=previous,
            upstream_sid=upstream.sid,
        )
        details: dict[str, Detail] = {"created": True} if seller.created else {}
        log(EventKind.SIGNIN_SUCCEEDED, seller.seller_id, address, details)
        throttle.address_succeeded(address)
        return raw, next_url

    async def callback(request: Request) -> Response:
        browser = request.cookies.get(BROWSER_COOKIE, "")
        if not browser:
            # No sign-in was started in this browser: nothing to count, log or claim.
            return failure(
                request,
                SigninFailed(
                    "This sign-in did not start in this browser. Please sign in again.",
                    code="invalid_request",
                ),
            )
        address = client_address(request, networks)
        verdict = await in_thread(throttle.attempt_address, address)
        if not verdict.allowed:
            if verdict.first_refusal:
                await in_thread(
                    log, EventKind.SIGNIN_THROTTLED, None, address, {"limit": verdict.limit}
                )
            response = failure(
                request,
                SigninFailed(
                    "Too many sign-in attempts from your network. Try again later.",
                    code="throttled",
                    status=429,
                ),
            )
            response.headers["Retry-After"] = str(verdict.retry_after)
            return response
        params = request.query_params
        state, code, error = params.get("state", ""), params.get("code", ""), params.get("error")
        if error is not None:
            # The provider's refusal (OpenID Connect Core 1.0 §3.1.2.6); its state is spent too.
            error = known_error(error)
            if state and len(state) <= MAX_PARAM:
                await in_thread(spend_state, state, browser)
            failed = SigninFailed(
                f"{name} did not sign you in ({error}).",
                code=f"upstream: {error}",
                status=403 if error == "access_denied" else 400,
            )
            await in_thread(log, EventKind.SIGNIN_FAILED, None, address, {"error": failed.code})
            return failure(request, failed)
        if not state or not code or max(len(state), len(code)) > MAX_PARAM:
            failed = SigninFailed(
                "This sign-in link is incomplete or not from this browser. Please sign in again.",
                code="invalid_request",
            )
            await in_thread(log, EventKind.SIGNIN_FAILED, None, address, {"error": failed.code})
            return failure(request, failed)
        state_now = session_state(request)
        done = await guarded(
            request,
            address,
            complete,
            browser,
            state,
            code,
            address,
            request.headers.get("user-agent", ""),
            state_now.raw_id,
        )
        if isinstance(done, Response):
            return done
        raw, next_url = done
        state_now.new_raw_id, state_now.active = raw, None
        # The binding cookie stays: another tab's sign-in may still be under way with it.
        return RedirectResponse(next_url, status_code=303)

    def spend_state(state: str, browser: str) -> None:
        with db.session(write=True) as session:
            claim_signin(session, state, browser)

    def logout(raw: str, address: str) -> int:
        request = validate_logout_token(raw, provider, settings.oidc_client_id)
        with db.session(write=True) as session:
            if not spend_logout_token(session, request.jti, _at(request.expires_at)):
                raise SigninFailed("replayed", code="invalid_id_token: jti replayed")
            seller = (
                find_linked(session, request.issuer, request.subject) if request.subject else None
            )
            seller_id = seller.id if seller else None
        if seller_id is None:
            return 0  # nobody here is signed in as that account: nothing to end
        ended = store.end_upstream(seller_id, request.sid)
        record_seller_event(
            db,
            EventKind.SESSION_ENDED,
            seller_id=seller_id,
            address=address,
            details={"reason": "upstream_logout", "sessions": ended},
        )
        return ended

    async def backchannel_logout(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=5)
        raw = form.get("logout_token")
        address = client_address(request, networks)
        if not isinstance(raw, str) or not raw:
            return error_response(BadRequest("logout_token is missing"), Shape.JSON)
        try:
            await in_thread(logout, raw, address)
        except SigninFailed as error:
            await in_thread(
                log, EventKind.SIGNIN_FAILED, None, address, {"error": "logout: " + error.code[:80]}
            )
            if error.status == 503:
                return error_response(ServiceUnavailable(), Shape.JSON)
            return error_response(BadRequest("the logout token is not valid"), Shape.JSON)
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return [
        Route("/login/oidc", start, methods=["GET"]),
        Route("/login/oidc/callback", callback, methods=["GET"]),
        Route("/login/oidc/backchannel-logout", backchannel_logout, methods=["POST"]),
    ]


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
