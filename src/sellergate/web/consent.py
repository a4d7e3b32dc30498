"""The authorization endpoint and the consent page (RFC 6749 §4.1.1 - §4.1.2).

``GET /seller-api/rest/oauth/authorize`` validates the request and answers 302: to the login
page when the seller has no session, else to the consent page. The consent page names the app
and the scopes in plain words; Approve or Deny posts back (with the CSRF token and the original
request) and is answered with the redirect to the app. An error found before the client and
the redirect URI are validated is shown here as a 400 page and never redirected (§4.1.2.1).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from sellergate.accounts.authorization_requests import claim_request, remember_request
from sellergate.accounts.clients import find_client
from sellergate.accounts.oauth_storage import SqlOAuthStorage
from sellergate.accounts.pushed_requests import claim_pushed, hand_over, peek_pushed
from sellergate.config import Settings
from sellergate.errors import BadRequest, OAuthError
from sellergate.oauth.metadata import AUTHORIZE_PATH
from sellergate.oauth.requests import OAuthRequest, OAuthResponse
from sellergate.oauth.server import (
    AuthorizationRequest,
    authorization_response,
    check_authorization,
)
from sellergate.scopes import DESCRIPTIONS
from sellergate.storage.database import Database
from sellergate.web.addresses import client_address
from sellergate.web.csrf import FIELD, csrf_token, csrf_valid
from sellergate.web.errors import Shape, error_response, expired_form_response
from sellergate.web.login import signed_in_seller, signed_in_username
from sellergate.web.oauth import query_request, query_string_request, to_response
from sellergate.web.templates import page
from sellergate.web.threads import in_thread

CONSENT_PATH = "/oauth/consent"
MAX_QUERY = 8_192


def error_page(request: Request, error: OAuthError) -> Response:
    return page(
        request,
        "oauth_error.html",
        400,
        error=error.code,
        description=error.description,
    )


UNUSABLE_REQUEST_URI = OAuthError(
    "the request_uri is unknown, expired, already used or not this app's (RFC 9126)",
    code="invalid_request",
)


def pushed_request(request: Request, pushed: str) -> OAuthRequest:
    """RFC 9126 §4: the pushed parameters are the request; anything else sent is ignored."""
    oauth_request = query_string_request(request, pushed)
    oauth_request.pushed = True
    return oauth_request


def named_request_uri(params: list[tuple[str, str]]) -> tuple[str, str] | None:
    """``(client_id, request_uri)`` of a request that names a pushed one."""
    values = dict(params)
    if "request_uri" not in values:
        return None
    return values.get("client_id", ""), values["request_uri"]


def login_redirect(consent_url: str) -> Response:
    return RedirectResponse("/login?next=" + quote(consent_url, safe=""), status_code=302)


def routes(settings: Settings, db: Database) -> list[Route]:
    def check(oauth_request: OAuthRequest) -> AuthorizationRequest | OAuthResponse:
        with db.session() as session:
            return check_authorization(SqlOAuthStorage(session), settings, oauth_request)

    def developer(client_id: str) -> str:
        with db.session() as session:
            client = find_client(session, client_id)
            return client.registered_by if client else ""

    def take_over(client_id: str, request_uri: str) -> tuple[str, str] | None:
        """Spend the app's request_uri: a new one for the consent page, and the parameters."""
        with db.session(write=True) as session:
            handed = hand_over(session, request_uri, client_id)
            if handed is None:
                return None
            pushed = peek_pushed(session, handed, client_id)
            assert pushed is not None
            return handed, pushed

    def peek(client_id: str, request_uri: str) -> str | None:
        with db.session() as session:
            return peek_pushed(session, request_uri, client_id)

    def remember(seller_id: int, client_id: str, query: str) -> str:
        with db.session(write=True) as session:
            return remember_request(session, seller_id=seller_id, client_id=client_id, query=query)

    def decide(
        request: Request, reference: str, seller_id: int, approved: bool
    ) -> OAuthResponse | None:
        """The redirect to the app, or ``None`` if the reference cannot be claimed."""
        with db.session(write=True) as session:
            query = claim_request(session, reference, seller_id)
            if query is None:
                return None
            oauth_request = query_string_request(request, query)
            named = named_request_uri(parse_qsl(query))
            if named is not None:
                pushed = claim_pushed(session, named[1], named[0])
                if pushed is None:
                    return None
                oauth_request = pushed_request(request, pushed)
            address = client_address(request, settings.trusted_proxy_networks)
            storage = SqlOAuthStorage(session, address)
            return authorization_response(storage, settings, oauth_request, seller_id, approved)

    async def validated(
        request: Request, oauth_request: OAuthRequest
    ) -> AuthorizationRequest | Response:
        if len(request.url.query) > MAX_QUERY:
            return error_page(
                request, OAuthError("the request is too long", code="invalid_request")
            )
        try:
            checked = await in_thread(check, oauth_request)
        except OAuthError as exc:
            return error_page(request, exc)
        return to_response(checked) if isinstance(checked, OAuthResponse) else checked

    async def authorize(request: Request) -> Response:
        oauth_request = query_request(request)
        consent_query = request.url.query
        named = named_request_uri(list(request.query_params.multi_items()))
        if named is not None:
            handed = await in_thread(take_over, *named)
            if handed is None:
                return error_page(request, UNUSABLE_REQUEST_URI)
            oauth_request = pushed_request(request, handed[1])
            consent_query = urlencode({"client_id": named[0], "request_uri": handed[0]})
        checked = await validated(request, oauth_request)
        if isinstance(checked, Response):
            return checked
        consent_url = f"{CONSENT_PATH}?{consent_query}"
        if signed_in_seller(request) is None:
            return login_redirect(consent_url)
        return RedirectResponse(consent_url, status_code=302)

    async def consent(request: Request) -> Response:
        oauth_request = query_request(request)
        named = named_request_uri(list(request.query_params.multi_items()))
        if named is not None:
            pushed = await in_thread(peek, *named)
            if pushed is None:
                return error_page(request, UNUSABLE_REQUEST_URI)
            oauth_request = pushed_request(request, pushed)
        checked = await validated(request, oauth_request)
        if isinstance(checked, Response):
            return checked
        seller_id = signed_in_seller(request)
        if seller_id is None:
            return login_redirect(f"{CONSENT_PATH}?{request.url.query}")
        registered_by = await in_thread(developer, checked.client_id)
        reference = await in_thread(remember, seller_id, checked.client_id, request.url.query)
        return page(
            request,
            "consent.html",
            app_name=checked.client_name,
            registered_by=registered_by,
            scopes=[(scope.value, DESCRIPTIONS[scope]) for scope in checked.scopes],
            redirect_host=urlsplit(checked.redirect_uri).netloc,
            username=signed_in_username(request),
            request_reference=reference,
            csrf_token=csrf_token(request),
        )

    async def decision(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        seller_id = signed_in_seller(request)
        if not csrf_valid(request, form.get(FIELD)) or seller_id is None:
            return expired_form_response(request, "Go back to the app and start connecting again.")
        choice = form.get("decision")
        if choice not in ("approve", "deny"):
            return error_page(request, OAuthError("choose Approve or Deny", code="invalid_request"))
        reference = str(form.get("request_reference") or "")
        try:
            result = await in_thread(decide, request, reference, seller_id, choice == "approve")
        except OAuthError as exc:
            return error_page(request, exc)
        if result is None:
            return error_response(
                BadRequest("the authorization request cannot be answered"),
                Shape.PAGE,
                request=request,
                title="This request cannot be answered",
                message=(
                    "It was already answered, it expired, or it is not the request you were "
                    "shown. Go back to the app and start connecting again."
                ),
            )
        return to_response(result)

    return [
        Route(AUTHORIZE_PATH, authorize, methods=["GET"]),
        Route(CONSENT_PATH, consent, methods=["GET"]),
        Route(CONSENT_PATH, decision, methods=["POST"]),
    ]
