"""``/dashboard``: the seller's personal API tokens and connected apps.

Every change is a POST with the CSRF token. A new or rotated token is never shown here: the
seller is sent to the token's one-time secure link, the same place the CLI hands out, so a secret
is revealed exactly once and by one mechanism. Destructive actions (rotate, revoke, disconnect)
answer a first POST with a confirmation page whose form repeats the POST with ``confirm=yes``,
so confirming needs no JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sellergate.accounts.audit import Actor, Detail, EventKind, record_event
from sellergate.accounts.clients import find_client
from sellergate.accounts.connected_apps import ConnectedApp, disconnect_app, list_connected_apps
from sellergate.accounts.leaks import PendingReplacement, pending_replacements
from sellergate.accounts.personal_tokens import (
    MAX_LABEL,
    MAX_LIFETIME,
    PersonalToken,
    TokenStatus,
    issue_token,
    list_tokens,
    revoke_token,
    rotate_token,
)
from sellergate.accounts.secure_links import PATH_PREFIX
from sellergate.config import Settings
from sellergate.errors import InvalidInput, NotFound
from sellergate.storage.database import Database
from sellergate.storage.types import utcnow
from sellergate.web.addresses import client_address
from sellergate.web.csrf import FIELD, csrf_token, csrf_valid
from sellergate.web.errors import expired_form_response
from sellergate.web.login import signed_in_seller, signed_in_username
from sellergate.web.paths import ROW_ID
from sellergate.web.sessions import flash_message, take_flash
from sellergate.web.templates import page
from sellergate.web.threads import in_thread

DASHBOARD_PATH = "/dashboard"
EXPIRY_CHOICES = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("60", "60 days"),
    ("90", "90 days"),
    ("date", "On a date…"),
    ("never", "No expiry"),
]
DEFAULT_EXPIRY = "30"
GRACE_CHOICES = {
    "0": ("Right away", timedelta(0)),
    "1h": ("In 1 hour", timedelta(hours=1)),
    "24h": ("In 24 hours", timedelta(hours=24)),
    "7d": ("In 7 days", timedelta(days=7)),
}
HISTORY_ROWS = 20


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    label: str
    last_four: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    status: str  # active | expiring | replaced | expired | revoked
    status_text: str

    @property
    def live(self) -> bool:
        return self.status in ("active", "expiring", "replaced")


def parse_expiry(choice: str, on_date: str, now: datetime) -> timedelta | None:
    """The lifetime a seller picked: a preset, the end of a chosen day (UTC), or none."""
    if choice in ("7", "30", "60", "90"):
        return timedelta(days=int(choice))
    if choice == "never":
        return None
    if choice != "date":
        raise InvalidInput("choose when the token expires", field="expires")
    try:
        day = date.fromisoformat(on_date.strip())
    except ValueError:
        raise InvalidInput(
            "pick the expiry date (YYYY-MM-DD) or another expiry", field="expires_on"
        ) from None
    lifetime = datetime.combine(day, time(23, 59, 59), UTC) - now
    if lifetime <= timedelta(0):
        raise InvalidInput("the expiry date must be in the future", field="expires_on")
    if lifetime > MAX_LIFETIME:
        raise InvalidInput("the expiry date must be within 10 years", field="expires_on")
    return lifetime


def when(value: datetime | None, now: datetime) -> str:
    """A short relative time: "in 29 days", "3 minutes ago", "just now"."""
    if value is None:
        return ""
    seconds = (value - now).total_seconds()
    future, seconds = seconds > 0, abs(seconds)
    if seconds < 60:
        return "in under a minute" if future else "just now"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'s' if count != 1 else ''}"
            return f"in {text}" if future else f"{text} ago"
    return ""


STATUS_TEXT = {
    TokenStatus.REVOKED: "Revoked",
    TokenStatus.EXPIRED: "Expired",
    TokenStatus.REPLACED: "Replaced, still works until the grace period ends",
    TokenStatus.EXPIRING: "Expires soon",
    TokenStatus.ACTIVE: "Active",
}


def token_row(token: PersonalToken) -> TokenRow:
    return TokenRow(
        token.id,
        token.label,
        token.last_four,
        token.created_at,
        token.last_used_at,
        token.expires_at,
        token.status.value,
        STATUS_TEXT[token.status],
    )


def routes(settings: Settings, db: Database) -> list[Route]:
    def load(
        seller_id: int,
    ) -> tuple[list[TokenRow], list[ConnectedApp], list[PendingReplacement]]:
        with db.session() as session:
            tokens = [token_row(t) for t in reversed(list_tokens(session, seller_id))]
            return (
                tokens,
                list_connected_apps(session, seller_id),
                pending_replacements(session, seller_id),
            )

    def app_name(client_id: str) -> str:
        with db.session() as session:
            client = find_client(session, client_id)
            return client.name if client else "this app"

    def audited(
        request: Request,
        action: Callable[[Session], Any],
        kind: EventKind,
        details: Callable[[Any], dict[str, Detail]],
        client_id: str | None = None,
    ) -> Callable[[], Any]:
        """The action and its security-log event, in one transaction (run in a thread)."""
        seller_id = signed_in_seller(request)
        address = client_address(request, settings.trusted_proxy_networks)

        def run() -> Any:
            with db.session(write=True) as session:
                result = action(session)
                record_event(
                    session,
                    kind,
                    actor=Actor.SELLER,
                    seller_id=seller_id,
                    client_id=client_id,
                    address=address,
                    details=details(result),
                )
                return result

        return run

    async def show_dashboard(
        request: Request,
        seller_id: int,
        status: int = 200,
        error: str = "",
        form: dict[str, str] | None = None,
    ) -> Response:
        tokens, apps, leaked = await in_thread(load, seller_id)
        now = utcnow()
        return page(
            request,
            "dashboard.html",
            status,
            username=signed_in_username(request),
            csrf_token=csrf_token(request),
            flash=take_flash(request),
            error=error,
            form=form or {"label": "", "expires": DEFAULT_EXPIRY, "expires_on": ""},
            expiry_choices=EXPIRY_CHOICES,
            min_date=(now + timedelta(days=1)).date().isoformat(),
            max_date=(now + MAX_LIFETIME - timedelta(days=1)).date().isoformat(),
            live_tokens=[t for t in tokens if t.live],
            old_tokens=[t for t in tokens if not t.live][:HISTORY_ROWS],
            apps=apps,
            leaked=leaked,
            now=now,
            when=lambda value: when(value, now),
            max_label=MAX_LABEL,
        )

    async def flash(request: Request, text: str, kind: str = "ok") -> Response:
        await flash_message(request, text, kind)
        return RedirectResponse(DASHBOARD_PATH, status_code=303)

    def expired_form(request: Request) -> Response:
        return expired_form_response(
            request,
            "Nothing was changed. Go back to your dashboard and try again.",
            (DASHBOARD_PATH, "Back to the dashboard"),
        )

    async def guarded(request: Request) -> tuple[int, FormData] | Response:
        """The signed-in seller and the form of a POST, or the response that refuses it."""
        seller_id = signed_in_seller(request)
        if seller_id is None:
            return RedirectResponse(f"/login?next={DASHBOARD_PATH}", status_code=303)
        form = await request.form(max_files=0, max_fields=10)
        if not csrf_valid(request, form.get(FIELD)):
            return expired_form(request)
        return seller_id, form

    def confirm(request: Request, **context: Any) -> Response:
        return page(request, "dashboard_confirm.html", csrf_token=csrf_token(request), **context)

    async def dashboard(request: Request) -> Response:
        seller_id = signed_in_seller(request)
        if seller_id is None:
            return RedirectResponse(f"/login?next={DASHBOARD_PATH}", status_code=303)
        return await show_dashboard(request, seller_id)

    async def create(request: Request) -> Response:
        checked = await guarded(request)
        if isinstance(checked, Response):
            return checked
        seller_id, form = checked
        values = {
            "label": str(form.get("label") or "").strip(),
            "expires": str(form.get("expires") or ""),
            "expires_on": str(form.get("expires_on") or ""),
        }
        username = signed_in_username(request)
        try:
            lifetime = parse_expiry(values["expires"], values["expires_on"], utcnow())
            if not values["label"]:
                raise InvalidInput("give the token a name, e.g. where it will be used")
            issued = await in_thread(
                audited(
                    request,
                    lambda session: issue_token(
                        session, settings, username, expires_in=lifetime, label=values["label"]
                    ),
                    EventKind.TOKEN_ISSUED,
                    lambda issued: {"token_id": issued.token_id, "label": values["label"]},
                )
            )
        except InvalidInput as exc:
            return await show_dashboard(request, seller_id, 400, exc.description, values)
        return RedirectResponse(PATH_PREFIX + issued.link.link, status_code=303)

    async def rotate(request: Request) -> Response:
        checked = await guarded(request)
        if isinstance(checked, Response):
            return checked
        seller_id, form = checked
        token_id: int = request.path_params["token_id"]
        if form.get("confirm") != "yes":
            return confirm(
                request,
                title="Rotate this token?",
                message=(
                    "You get a new token through a one-time link. Choose when the current "
                    "token stops working: give yourself time to put the new one in place."
                ),
                action=f"{DASHBOARD_PATH}/tokens/{token_id}/rotate",
                button="Rotate token",
                grace_choices=[(key, label) for key, (label, _) in GRACE_CHOICES.items()],
            )
        grace = GRACE_CHOICES.get(str(form.get("grace") or "0"), GRACE_CHOICES["0"])[1]
        try:
            issued = await in_thread(
                audited(
                    request,
                    lambda session: rotate_token(
                        session, settings, token_id, grace=grace, seller_id=seller_id
                    ),
                    EventKind.TOKEN_ROTATED,
                    lambda issued: {
                        "token_id": token_id,
                        "new_token_id": issued.token_id,
                        "grace_seconds": int(grace.total_seconds()),
                    },
                )
            )
        except (InvalidInput, NotFound) as exc:
            return await flash(request, f"Could not rotate: {exc.description}.", "error")
        return RedirectResponse(PATH_PREFIX + issued.link.link, status_code=303)

    async def revoke(request: Request) -> Response:
        checked = await guarded(request)
        if isinstance(checked, Response):
            return checked
        seller_id, form = checked
        token_id: int = request.path_params["token_id"]
        if form.get("confirm") != "yes":
            return confirm(
                request,
                title="Revoke this token?",
                message=(
                    "Anything that uses it stops working at once. This cannot be undone; "
                    "you can create a new token afterwards."
                ),
                action=f"{DASHBOARD_PATH}/tokens/{token_id}/revoke",
                button="Revoke token",
            )
        try:
            await in_thread(
                audited(
                    request,
                    lambda session: revoke_token(session, token_id, seller_id=seller_id),
                    EventKind.TOKEN_REVOKED,
                    lambda _: {"token_id": token_id},
                )
            )
        except NotFound as exc:
            return await flash(request, f"Could not revoke: {exc.description}.", "error")
        return await flash(request, "Token revoked. It no longer works.")

    async def disconnect(request: Request) -> Response:
        checked = await guarded(request)
        if isinstance(checked, Response):
            return checked
        seller_id, form = checked
        client_id: str = request.path_params["client_id"]
        name = await in_thread(app_name, client_id)
        if form.get("confirm") != "yes":
            return confirm(
                request,
                title=f"Disconnect {name}?",
                message=(
                    f"{name} loses access to your shop at once: every token it holds for your "
                    "account is revoked. It can only come back if you approve it again."
                ),
                action=f"{DASHBOARD_PATH}/apps/{client_id}/disconnect",
                button="Disconnect",
            )
        try:
            await in_thread(
                audited(
                    request,
                    lambda session: disconnect_app(session, seller_id, client_id),
                    EventKind.APP_DISCONNECTED,
                    lambda revoked: {"grants": len(revoked.grants), "tokens": revoked.tokens},
                    client_id=client_id,
                )
            )
        except NotFound as exc:
            return await flash(request, f"Could not disconnect: {exc.description}.", "error")
        return await flash(request, f"{name} was disconnected. Its tokens no longer work.")

    return [
        Route(DASHBOARD_PATH, dashboard, methods=["GET"]),
        Route(f"{DASHBOARD_PATH}/tokens", create, methods=["POST"]),
        Route(f"{DASHBOARD_PATH}/tokens/{{token_id:{ROW_ID}}}/rotate", rotate, methods=["POST"]),
        Route(f"{DASHBOARD_PATH}/tokens/{{token_id:{ROW_ID}}}/revoke", revoke, methods=["POST"]),
        Route(f"{DASHBOARD_PATH}/apps/{{client_id}}/disconnect", disconnect, methods=["POST"]),
    ]
