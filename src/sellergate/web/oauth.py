"""The Starlette adapter for the OAuth endpoints: token, revocation, introspection, metadata.

Each endpoint awaits the (bounded) form, then runs the synchronous protocol core of
:mod:`sellergate.oauth.server` with one database session, or for introspection (which only
reads) one connection (:mod:`sellergate.web.dbcall` says where and how), and turns its
:class:`OAuthResponse` back into a Starlette response.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sellergate.accounts.oauth_storage import KnownClient, SqlOAuthStorage
from sellergate.config import Settings
from sellergate.errors import BadRequest, InvalidDPoPProof
from sellergate.oauth import metadata as rfc8414
from sellergate.oauth.par import par_response
from sellergate.oauth.requests import OAuthRequest, OAuthResponse
from sellergate.oauth.server import introspection_response, revocation_response, token_response
from sellergate.oauth.storage import OAuthStorage
from sellergate.storage.database import Database
from sellergate.storage.handles import NoDatabase
from sellergate.web.addresses import client_address
from sellergate.web.body import BodyTooLarge, read_limited
from sellergate.web.dbcall import DatabaseCalls
from sellergate.web.dpop import DPoPChecker
from sellergate.web.errors import Shape, error_response
from sellergate.web.lookups import ClientLookups, IntrospectionLookups, PrefetchedStorage
from sellergate.web.ratelimit import CLIENT_AUTHENTICATED

MAX_FORM_BYTES = 16_384
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM_TYPE = "application/x-www-form-urlencoded"
ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]

Handler = Callable[[OAuthStorage, Settings, OAuthRequest], OAuthResponse]


def _invalid_request(description: str, status: int = 400) -> Response:
    return error_response(BadRequest(description, status=status), Shape.JSON, headers=NO_STORE)


def query_request(request: Request) -> OAuthRequest:
    """An authorization request (RFC 6749 §4.1.1): parameters from the query string."""
    return OAuthRequest(
        "GET", str(request.url), request.headers, list(request.query_params.multi_items())
    )


def query_string_request(request: Request, query: str) -> OAuthRequest:
    """An authorization request carried as a query string in a form field (the consent POST)."""
    return OAuthRequest(
        "GET", str(request.url), request.headers, parse_qsl(query, keep_blank_values=True)
    )


async def form_request(request: Request) -> OAuthRequest | Response:
    """A token, revocation or introspection request (§3.2): a urlencoded POST body only."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return _invalid_request(f"send the parameters as {FORM_TYPE}")
    try:
        body = await read_limited(request, MAX_FORM_BYTES)
        params = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except BodyTooLarge:
        return _invalid_request(f"the request body exceeds {MAX_FORM_BYTES} bytes", 413)
    except (UnicodeDecodeError, ValueError):
        return _invalid_request("the request body is not valid UTF-8 form data")
    if any("\x00" in key or "\x00" in value for key, value in params):
        return _invalid_request("a parameter contains a NUL character")
    return OAuthRequest("POST", str(request.url), request.headers, params)


def to_response(result: OAuthResponse) -> Response:
    headers = dict(result.headers)
    location = headers.pop("Location", None)
    if location is not None:
        return Response(status_code=result.status, headers={**headers, "Location": location})
    if result.body is None:
        return Response(status_code=result.status, headers=headers)
    headers.pop("Content-Type", None)
    return JSONResponse(result.body, status_code=result.status, headers=headers)


def routes(
    settings: Settings,
    db: Database,
    dpop: DPoPChecker | None = None,
    introspection: IntrospectionLookups | None = None,
    clients: ClientLookups | None = None,
) -> list[Route]:
    calls = DatabaseCalls(db)
    introspection = introspection or IntrospectionLookups(
        db, staging=not settings.production, coalesce=settings.coalesce_lookups
    )
    clients = clients or ClientLookups(db, coalesce=settings.coalesce_lookups)
    checker = dpop or DPoPChecker(settings, db)
    token_url = settings.public_url + rfc8414.TOKEN_PATH
    par_url = settings.public_url + rfc8414.PAR_PATH

    networks = settings.trusted_proxy_networks

    def write(
        handler: Handler, oauth_request: OAuthRequest, address: str, known: KnownClient | None
    ) -> OAuthResponse:
        # On SQLite this may run a second time, from the start, in a thread (web.dbcall): what
        # the first run learnt is forgotten.
        oauth_request.client = oauth_request.auth_method = None
        # RFC 9449 §5: a DPoP proof (checked offline by the caller) is spent first, in its own
        # transaction; then the handler runs knowing what it proved.
        if oauth_request.dpop is not None:
            checker.remember(oauth_request.dpop)
        # A connection, not a session: a refresh runs on Core statements only, and the
        # session's set-up and commit cost more than its SQL. What needs the ORM (a code, a
        # revoked family, the security log) gets a session over it, flushed before the commit.
        # The app the request names was read already (``known``, see web.lookups), and the
        # transaction begins at the handler's first statement: Authlib's checks of the request
        # and of the app's credentials run before it, outside SQLite's write lock.
        with db.transaction_on_demand(write=True) as opener:
            storage = SqlOAuthStorage(address=address, opener=opener, known=known)
            answer = handler(storage, settings, oauth_request)
            storage.flush()
            return answer

    def read(
        connection: Connection, handler: Handler, oauth_request: OAuthRequest, address: str
    ) -> OAuthResponse:
        return handler(
            SqlOAuthStorage(address=address, connection=connection), settings, oauth_request
        )

    async def prefetched(oauth_request: OAuthRequest, address: str) -> OAuthResponse | None:
        """Introspection over reads batched with other requests' (``web.lookups``), on the
        event loop; None if it needs a read of its own after all."""
        found = await introspection.prefetch(oauth_request)
        if found is None:
            return None
        storage = PrefetchedStorage(found, address, staging=not settings.production)
        try:
            return introspection_response(storage, settings, oauth_request)
        except NoDatabase:
            # Run again from the start, with a connection: forget what the first run learnt.
            oauth_request.client = oauth_request.auth_method = None
            return None

    def endpoint(
        handler: Handler, *, writes: bool, proof_url: str | None = None, batched: bool = False
    ) -> Callable[[Request], object]:
        """A form endpoint; with ``proof_url`` (the token and PAR endpoints) a ``DPoP`` proof
        for that URL is checked, spent, and handed to the handler."""

        async def handle(request: Request) -> Response:
            if request.method != "POST":
                # Answered here: the pages app mounted last would otherwise make this a 404.
                refused = _invalid_request("use POST", 405)
                refused.headers["Allow"] = "POST"
                return refused
            parsed = await form_request(request)
            if isinstance(parsed, Response):
                return parsed
            address = client_address(request, networks)
            if writes:
                try:
                    if proof_url is not None:
                        parsed.dpop = checker.verify(request.headers, "POST", proof_url)
                    known = await clients.prefetch(parsed)
                    result = await calls.write(False, write, handler, parsed, address, known)
                except InvalidDPoPProof as exc:
                    return checker.token_endpoint_error(exc)
            else:
                outcome = None
                if batched and introspection.coalesced:
                    outcome = await prefetched(parsed, address)
                if outcome is None:
                    outcome = await calls.read(False, read, handler, parsed, address)
                result = outcome
            # For the rate limiter: the client's budget pays only for a client that proved
            # who it is (see web.ratelimit).
            request.scope[CLIENT_AUTHENTICATED] = parsed.client is not None
            answer = to_response(result)
            if proof_url is not None:
                answer.headers.update(checker.nonce_headers())
            return answer

        return handle

    document = rfc8414.metadata(settings)

    async def well_known(_: Request) -> Response:
        return JSONResponse(document, headers={"Cache-Control": "public, max-age=3600"})

    return [
        Route(rfc8414.WELL_KNOWN_PATH, well_known, methods=["GET"]),
        Route(
            rfc8414.TOKEN_PATH,
            endpoint(token_response, writes=True, proof_url=token_url),
            methods=ANY,
        ),
        Route(
            rfc8414.PAR_PATH, endpoint(par_response, writes=True, proof_url=par_url), methods=ANY
        ),
        Route(rfc8414.REVOKE_PATH, endpoint(revocation_response, writes=True), methods=ANY),
        Route(
            rfc8414.INTROSPECT_PATH,
            endpoint(introspection_response, writes=False, batched=True),
            methods=ANY,
        ),
    ]
