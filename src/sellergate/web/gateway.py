"""``/gateway/verify``: the forward-authentication decision for the marketplace's own API.

The gateway in front of that API asks here before every request (docs/gateway.md): nginx
``auth_request`` and Traefik ``ForwardAuth`` call ``/gateway/verify`` with the original method
and URI in ``X-Original-Method``/``X-Original-URI`` or ``X-Forwarded-Method``/``X-Forwarded-Uri``;
Envoy's ``ext_authz`` HTTP service calls ``/gateway/verify/<original path>`` with the original
method. The answer is ``200`` with the identity headers, ``401`` (RFC 6750 §3.1
``invalid_token``), ``403`` (``insufficient_scope``, or a request that no route allows, or that
is ambiguous), ``429`` or ``503``; the rate limits are charged by
:class:`sellergate.web.ratelimit.RateLimitMiddleware`, as for the Seller API.

The endpoint accepts any method, so it is a plain ASGI app, not a Starlette function endpoint.
"""

from __future__ import annotations

from collections import OrderedDict
from urllib.parse import parse_qsl

from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from sellergate.accounts.bearer import AuthContext, BearerVerifier
from sellergate.accounts.clients import public_client_id
from sellergate.errors import Forbidden, InsufficientScope, InvalidDPoPProof, InvalidToken
from sellergate.gateway.decision import decide, forged_identity, identity_headers
from sellergate.gateway.paths import (
    AmbiguousPath,
    normalise_method,
    normalise_path,
    split_target,
)
from sellergate.gateway.routes import RouteTable, load_routes
from sellergate.storage.database import Database
from sellergate.web.credentials import presented
from sellergate.web.dbcall import DatabaseCalls
from sellergate.web.dpop import DPoPChecker, binding_problem
from sellergate.web.errors import Shape, bearer_challenge, error_response, invalid_token_response
from sellergate.web.lookups import BearerLookups

PREFIX = "/gateway/verify"
KNOWN_APPS = 10_000
_NGINX = ("x-original-method", "x-original-uri")
_TRAEFIK = ("x-forwarded-method", "x-forwarded-uri")


class MissingOriginal(Exception):
    """The gateway did not say which request it asks about."""


def _refused(code: str, message: str) -> Response:
    return error_response(Forbidden(message, code=code), Shape.JSON)


def insufficient_scope(scopes: str) -> Response:
    """RFC 6750 §3.1 ``insufficient_scope``: 403, naming the scopes the request needs."""
    error = InsufficientScope(f"this request needs the scope {scopes}", scope=scopes)
    return error_response(error, Shape.JSON, headers={"WWW-Authenticate": bearer_challenge(error)})


def _single(headers: Headers, name: str) -> str:
    values = headers.getlist(name)
    if len(values) != 1:
        raise AmbiguousPath(f"{name} must be sent exactly once")
    return values[0]


def original_request(scope: Scope, headers: Headers) -> tuple[str, str]:
    """The original request's method and target (path and query), as the gateway names it;
    raises :class:`AmbiguousPath` when it is named twice or unclearly, :class:`MissingOriginal`
    when not at all."""
    nginx = any(name in headers for name in _NGINX)
    traefik = any(name in headers for name in _TRAEFIK)
    path: str = scope["path"]
    if path.startswith(PREFIX + "/"):
        if nginx or traefik:
            raise AmbiguousPath("the original request is named both by the path and by headers")
        raw = scope.get("raw_path")
        if not isinstance(raw, bytes):
            raise MissingOriginal("the server gave no raw path")
        spelled = raw.decode("latin-1")
        if not spelled.startswith(PREFIX + "/"):
            # The endpoint's own path spelled with escapes: where would the original begin?
            raise AmbiguousPath(f"the path must start with {PREFIX}/ as written")
        target = spelled[len(PREFIX) :]
        query = scope.get("query_string", b"")
        if query:
            target += "?" + query.decode("latin-1")
        return scope["method"], target
    if nginx and traefik:
        raise AmbiguousPath("both X-Original-* and X-Forwarded-* headers name the original request")
    names = _NGINX if nginx else _TRAEFIK if traefik else None
    if names is None:
        raise MissingOriginal(
            "the gateway sent no original request: X-Original-Method and X-Original-URI "
            "(nginx), X-Forwarded-Method and X-Forwarded-Uri (Traefik), or the path after "
            f"{PREFIX}/ (Envoy)"
        )
    return _single(headers, names[0]), _single(headers, names[1])


def original_url(scope: Scope, headers: Headers, path: str) -> str:
    """The original request's URL as its client addressed it, for a DPoP proof's ``htu``
    (RFC 9449 §4.3): the scheme and host the gateway forwards (``X-Forwarded-Proto``,
    ``X-Forwarded-Host``, else the ``Host`` it sent) and the original path."""
    scheme = headers.get("x-forwarded-proto") or str(scope.get("scheme", "http"))
    host = headers.get("x-forwarded-host") or headers.get("host") or ""
    return f"{scheme.split(',')[0].strip()}://{host.split(',')[0].strip()}{path}"


class GatewayVerify:
    def __init__(
        self,
        db: Database,
        verifier: BearerVerifier,
        routes: RouteTable | None,
        dpop: DPoPChecker,
        lookups: BearerLookups,
    ) -> None:
        self.dpop = dpop
        self.lookups = lookups
        self.verifier = verifier
        self.routes = routes
        self.calls = DatabaseCalls(db)
        self.client_ids: OrderedDict[int, str] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.answer(scope)
        await response(scope, receive, send)

    async def answer(self, scope: Scope) -> Response:
        if self.routes is None:
            return _refused(
                "not_configured",
                "the gateway has no routes (SELLERGATE_GATEWAY_ROUTES): every request is refused",
            )
        headers = Headers(scope=scope)
        if forged_identity(headers.keys()):
            return _refused(
                "invalid_request", "X-Sellergate-* headers may not be sent by the client"
            )
        try:
            method, target = original_request(scope, headers)
            path, query = split_target(target)
            token = presented(headers, _parameters(query), self.verifier)
            url = original_url(scope, headers, path)
            method, path = normalise_method(method), normalise_path(path)
        except (AmbiguousPath, MissingOriginal) as exc:
            return _refused("invalid_request", str(exc))
        except InvalidToken as exc:
            return invalid_token_response(exc, Shape.JSON)
        proof = None
        if token.dpop:
            try:
                proof = self.dpop.verify(headers, method, url, token.token)
                if proof is None:
                    raise InvalidDPoPProof("the DPoP scheme needs a DPoP proof header")
                await self.calls.write(False, self.dpop.remember, proof)
            except InvalidDPoPProof as exc:
                return self.dpop.challenge(exc, Shape.JSON)
        found = await self.lookups.lookup(token.token)
        if isinstance(found, InvalidToken):
            return invalid_token_response(found, Shape.JSON)
        problem = binding_problem(found, token.dpop, proof)
        if problem is not None:
            return self.dpop.challenge(problem, Shape.JSON)
        route = self.routes.find(method, path)
        if route is None:
            return _refused("no_route", f"no gateway route allows {method} {path}")
        decision = decide(found, route)
        if not decision.allowed:
            return insufficient_scope(decision.missing_scopes)
        client_id = await self._client_id(found)
        identity = identity_headers(found, client_id)
        identity["Cache-Control"] = "no-store"
        return Response(status_code=200, headers=identity)

    async def _client_id(self, auth: AuthContext) -> str | None:
        """The app's public ``client_id``: it never changes for a row, so it is remembered."""
        if auth.client_id is None:
            return None
        known = self.client_ids.get(auth.client_id)
        if known is None:
            known = await self.calls.read(False, _public_client_id, auth.client_id)
            if known is None:
                return None
            self.client_ids[auth.client_id] = known
            if len(self.client_ids) > KNOWN_APPS:
                self.client_ids.popitem(last=False)
        return known


def _parameters(query: str) -> dict[str, str]:
    return dict(parse_qsl(query, keep_blank_values=True)) if query else {}


def _public_client_id(connection: Connection, client_pk: int) -> str | None:
    with Session(bind=connection) as session:
        return public_client_id(session, client_pk)


def routes(
    db: Database,
    verifier: BearerVerifier,
    routes_file: str,
    dpop: DPoPChecker,
    lookups: BearerLookups,
) -> list[BaseRoute]:
    """The decision endpoint, in both styles; without a routes file it refuses everything."""
    table = load_routes(routes_file) if routes_file else None
    endpoint = GatewayVerify(db, verifier, table, dpop, lookups)
    return [Route(PREFIX, endpoint), Route(PREFIX + "/{original:path}", endpoint)]
