"""``/dashboard/sessions`` and ``/dashboard/security``: where a seller sees who is signed in
and everything that happened to their account.

"Sign out everywhere else" deletes every other session of the seller at once: a cookie copied
from any of them opens nothing afterwards.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sellergate.accounts.audit import Actor, Event, EventKind, list_events, record_event
from sellergate.accounts.web_sessions import ActiveSession, SessionStore
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.web.addresses import client_address
from sellergate.web.csrf import FIELD, csrf_token, csrf_valid
from sellergate.web.dashboard import when
from sellergate.web.errors import expired_form_response
from sellergate.web.sessions import flash_message, signed_in, take_flash
from sellergate.web.templates import page
from sellergate.web.threads import in_thread

SESSIONS_PATH = "/dashboard/sessions"
SECURITY_PATH = "/dashboard/security"
PAGE_SIZE = 50

DESCRIPTIONS = {
    EventKind.TOKEN_ISSUED: "Personal token created",
    EventKind.TOKEN_REVEALED: "Personal token revealed through its one-time link",
    EventKind.TOKEN_ROTATED: "Personal token rotated",
    EventKind.TOKEN_REVOKED: "Personal token revoked",
    EventKind.TOKEN_LEAKED: "Token reported leaked",
    EventKind.APP_AUTHORIZED: "App authorized",
    EventKind.APP_DISCONNECTED: "App disconnected",
    EventKind.CLIENT_DISABLED: "App disabled by the platform",
    EventKind.CLIENT_SECRET_ROTATED: "App secret rotated",
    EventKind.REFRESH_REUSE: "Reuse of an app's spent refresh token: its access was revoked",
    EventKind.SIGNIN_SUCCEEDED: "Signed in",
    EventKind.SIGNIN_FAILED: "Failed sign-in (wrong password)",
    EventKind.SIGNIN_THROTTLED: "Sign-in locked after too many attempts",
    EventKind.SESSION_ENDED: "Signed out",
}


def describe(event: Event) -> str:
    try:
        return DESCRIPTIONS[EventKind(event.kind)]
    except ValueError:
        return event.kind


def device(user_agent: str) -> str:
    """A short name for a browser, from its User-Agent (a hint for the seller, not a proof)."""
    agent = user_agent.lower()
    browser = next(
        (
            name
            for key, name in (
                ("edg/", "Edge"),
                ("firefox/", "Firefox"),
                ("chrome/", "Chrome"),
                ("safari/", "Safari"),
                ("curl/", "curl"),
                ("python", "a script"),
            )
            if key in agent
        ),
        "Unknown browser",
    )
    system = next(
        (
            name
            for key, name in (
                ("android", "Android"),
                ("iphone", "iPhone"),
                ("ipad", "iPad"),
                ("windows", "Windows"),
                ("mac os", "macOS"),
                ("linux", "Linux"),
            )
            if key in agent
        ),
        "",
    )
    return f"{browser} on {system}" if system else browser


def routes(settings: Settings, db: Database, store: SessionStore) -> list[Route]:
    def load_events(seller_id: int, before: int | None) -> list[Event]:
        with db.session() as session:
            return list_events(session, seller_id=seller_id, before_id=before, limit=PAGE_SIZE + 1)

    def sign_out_others(active: ActiveSession, address: str) -> int:
        ended = store.end_others(active.seller_id, active)
        if ended:
            with db.session(write=True) as session:
                record_event(
                    session,
                    EventKind.SESSION_ENDED,
                    actor=Actor.SELLER,
                    seller_id=active.seller_id,
                    address=address,
                    details={"reason": "signed_out_elsewhere", "sessions": ended},
                )
        return ended

    def login_redirect(path: str) -> Response:
        return RedirectResponse(f"/login?next={path}", status_code=303)

    async def sessions_page(request: Request) -> Response:
        active = signed_in(request)
        if active is None:
            return login_redirect(SESSIONS_PATH)
        rows = await in_thread(store.list, active.seller_id)
        now = utcnow()
        return page(
            request,
            "sessions.html",
            username=active.username,
            csrf_token=csrf_token(request),
            active_nav="sessions",
            flash=take_flash(request),
            sessions=[(row, device(row.user_agent), row.id == active.id) for row in rows],
            when=lambda value: when(value, now),
        )

    async def end_others(request: Request) -> Response:
        active = signed_in(request)
        if active is None:
            return login_redirect(SESSIONS_PATH)
        form = await request.form(max_files=0, max_fields=5)
        if not csrf_valid(request, form.get(FIELD)):
            return expired_form_response(
                request,
                "Nothing was changed. Go back and try again.",
                (SESSIONS_PATH, "Back to your sessions"),
            )
        address = client_address(request, settings.trusted_proxy_networks)
        ended = await in_thread(sign_out_others, active, address)
        text = (
            f"Signed out of {ended} other session{'s' if ended != 1 else ''}."
            if ended
            else "There were no other sessions."
        )
        await flash_message(request, text)
        return RedirectResponse(SESSIONS_PATH, status_code=303)

    async def security_log(request: Request) -> Response:
        active = signed_in(request)
        if active is None:
            return login_redirect(SECURITY_PATH)
        raw_before = request.query_params.get("before", "")
        before = int(raw_before) if raw_before.isdigit() and len(raw_before) < 19 else None
        events = await in_thread(load_events, active.seller_id, before)
        now = utcnow()
        return page(
            request,
            "security.html",
            username=active.username,
            csrf_token=csrf_token(request),
            active_nav="security",
            events=[(event, describe(event)) for event in events[:PAGE_SIZE]],
            older=events[PAGE_SIZE - 1].id if len(events) > PAGE_SIZE else None,
            first_page=before is None,
            when=lambda value: when(value, now),
        )

    return [
        Route(SESSIONS_PATH, sessions_page, methods=["GET"]),
        Route(f"{SESSIONS_PATH}/end-others", end_others, methods=["POST"]),
        Route(SECURITY_PATH, security_log, methods=["GET"]),
    ]
