"""The authorization server (RFC 6749 §3): Authlib's, bound to one storage per request.

Building the server is a handful of list appends, so one is made per request with that
request's storage (:mod:`sellergate.oauth.storage`); nothing is shared between threads. The
functions at the bottom are the typed surface the web adapter calls: each takes an
:class:`OAuthRequest` and answers an :class:`OAuthResponse` (or, for the authorization
endpoint, what the consent page shows).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidRequestError, OAuth2Error

from sellergate.config import Settings
from sellergate.errors import InvalidGrant, OAuthError
from sellergate.oauth.authorization_code import AuthorizationCodeGrant, Owner
from sellergate.oauth.dpop_binding import refresh_binding, require_proof, token_binding
from sellergate.oauth.front_channel import require_pushed, with_issuer
from sellergate.oauth.introspection import Introspection
from sellergate.oauth.models import OAuthClient
from sellergate.oauth.pkce import S256CodeChallenge
from sellergate.oauth.records import PairToMint, Successor
from sellergate.oauth.refresh_token import RefreshTokenGrant
from sellergate.oauth.requests import OAuthRequest, OAuthResponse
from sellergate.oauth.revocation import Revocation
from sellergate.oauth.storage import OAuthStorage
from sellergate.scopes import Scope, format_scopes, parse_scopes

# Authlib logs issued tokens and client ids at DEBUG; secrets never reach a log.
logging.getLogger("authlib").setLevel(logging.INFO)

REALM = "sellergate"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "'")


class Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, storage: OAuthStorage, settings: Settings) -> None:
        super().__init__(scopes_supported=None)
        self.storage = storage
        self.settings = settings
        self._clients: dict[str, OAuthClient | None] = {}
        self.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
        self.register_grant(RefreshTokenGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)
        self.register_token_generator("default", self._token_body)

    def query_client(self, client_id: str | None) -> OAuthClient | None:
        """RFC 6749 §2.2; a disabled app is refused outright (401 at the token endpoint)."""
        if not client_id:
            return None
        if client_id not in self._clients:
            record = self.storage.find_client(client_id)
            self._clients[client_id] = OAuthClient(record) if record is not None else None
        client = self._clients[client_id]
        if client is not None and client.row.disabled:
            raise InvalidClientError(status_code=401, description="this app has been disabled")
        return client

    def _token_body(
        self,
        grant_type: str,
        client: OAuthClient,
        user: Owner | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """§5.1; the token values themselves are minted by :meth:`save_token`."""
        body: dict[str, Any] = {
            "access_token": "",
            "token_type": "Bearer",
            "expires_in": int(self.settings.access_token_ttl.total_seconds()),
        }
        if include_refresh_token:
            body["refresh_token"] = ""
        body["scope"] = format_scopes(parse_scopes(scope or ""))
        return body

    def successor(self, request: Any) -> Successor:
        """The pair a refresh issues, as far as it is known before the refresh token is
        claimed (§6: the refresh token keeps its scope; the access token's may be narrowed)."""
        client: OAuthClient = request.client
        jkt = token_binding(client, request.dpop)
        requested = request.payload.scope
        return Successor(
            staging=not self.settings.production,
            access_scopes=parse_scopes(requested) if requested else None,
            access_expires_at=datetime.now(UTC) + self.settings.access_token_ttl,
            access_jkt=jkt,
            refresh_ttl=self.settings.refresh_token_ttl,
            refresh_jkt=refresh_binding(client, jkt),
        )

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """Mint and store the tokens (hashes only) and fill them into the response body: a
        refresh's pair may have been minted with the claim already
        (:meth:`successor`, :func:`sellergate.oauth.rotation.spend`)."""
        client: OAuthClient = request.client
        jkt = token_binding(client, request.dpop)
        if jkt is not None:
            token["token_type"] = "DPoP"  # noqa: S105 (RFC 9449 §5: a token type, no secret)
        seller_id = request.user.seller_id
        parent_id = None
        if request.refresh_token is not None:
            claimed = request.refresh_token.claimed
            if claimed.minted is not None:
                token["access_token"], token["refresh_token"] = claimed.minted
                return
            grant_id = claimed.grant_id
            parent_id = claimed.id
            refresh_scopes = claimed.scopes  # §6: same scope as before
        else:
            try:
                grant_id = self.storage.create_family(
                    seller_id=seller_id,
                    client_pk=client.pk,
                    scopes=token["scope"],
                    code_id=request.authorization_code.claimed.id,
                )
            except InvalidGrant:
                # Disabled while this exchange was under way.
                raise InvalidClientError(
                    status_code=401, description="this app has been disabled"
                ) from None
            refresh_scopes = token["scope"]
        staging = not self.settings.production
        expires_at = datetime.now(UTC) + self.settings.access_token_ttl
        if "refresh_token" not in token:
            token["access_token"] = self.storage.mint_access_token(
                seller_id=seller_id,
                scopes=parse_scopes(token["scope"]),
                staging=staging,
                expires_at=expires_at,
                client_pk=client.pk,
                grant_id=grant_id,
                jkt=jkt,
            ).token
            return
        token["access_token"], token["refresh_token"] = self.storage.mint_pair(
            PairToMint(
                seller_id=seller_id,
                client_pk=client.pk,
                grant_id=grant_id,
                staging=staging,
                access_scopes=parse_scopes(token["scope"]),
                access_expires_at=expires_at,
                access_jkt=jkt,
                refresh_scopes=refresh_scopes,
                refresh_ttl=self.settings.refresh_token_ttl,
                refresh_jkt=refresh_binding(client, jkt),
                parent_id=parent_id,
            )
        )

    def create_oauth2_request(self, request: OAuthRequest) -> OAuthRequest:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> OAuthResponse:
        return OAuthResponse(status, body or None, [(str(k), str(v)) for k, v in headers])

    def handle_error_response(self, request: Any, error: OAuth2Error) -> OAuthResponse:
        """§5.2: ``invalid_client`` is always a 401 with a Basic challenge naming the realm;
        ``unsupported_token_type`` is an error of the request, a 400 (RFC 7009 §2.2.1; Authlib
        answers 401)."""
        if error.error == "unsupported_token_type":
            error.status_code = 400
        if error.error == "invalid_client" and not error.redirect_uri:
            error.status_code = 401
            status, body, headers = error()
            headers = [(k, v) for k, v in headers if k.lower() != "www-authenticate"]
            challenge = (
                f'Basic realm="{REALM}", error="invalid_client", '
                f'error_description="{_quoted(error.get_error_description() or "")}"'
            )
            headers.append(("WWW-Authenticate", challenge))
            return self.handle_response(status, body, headers)
        return self.handle_response(*error(self.get_error_uri(request, error)))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Authlib's signal hook: once a token request's client is known, the request says so
        (the web layer's rate limiter charges the client's budget only for a client that
        authenticated, whatever the grant then answers), and an app that must use DPoP is
        refused a request without a proof (RFC 9449 §5) before anything is spent."""
        grant = kwargs.get("grant")
        if name == "after_authenticate_client" and grant is not None:
            grant.request.client = kwargs["client"]
            require_proof(kwargs["client"], grant.request.dpop)


def refuse_malformed(request: OAuthRequest, server: Server) -> OAuthResponse | None:
    """``invalid_request`` for a repeated parameter (§3.2) or two client authentications (§2.3)."""
    repeated = request.repeated()
    if repeated:
        error = InvalidRequestError(f"parameter {repeated[0]} is repeated")
        return server.handle_error_response(request, error)
    mixed = request.mixed_client_authentication()
    if mixed is not None:
        return server.handle_error_response(request, InvalidRequestError(mixed))
    return None


def token_response(
    storage: OAuthStorage, settings: Settings, request: OAuthRequest
) -> OAuthResponse:
    """The token endpoint (§3.2): ``authorization_code`` and ``refresh_token`` grants."""
    server = Server(storage, settings)
    refused = refuse_malformed(request, server)
    if refused is not None:
        return refused
    if not request.payload.grant_type:
        return server.handle_error_response(request, InvalidRequestError("grant_type is required"))
    result: OAuthResponse = server.create_token_response(request)
    return result


def _endpoint_response(
    name: str, storage: OAuthStorage, settings: Settings, request: OAuthRequest
) -> OAuthResponse:
    server = Server(storage, settings)
    refused = refuse_malformed(request, server)
    if refused is not None:
        return refused
    result: OAuthResponse = server.create_endpoint_response(name, request)
    return result


def revocation_response(
    storage: OAuthStorage, settings: Settings, request: OAuthRequest
) -> OAuthResponse:
    """RFC 7009 §2."""
    return _endpoint_response("revocation", storage, settings, request)


def introspection_response(
    storage: OAuthStorage, settings: Settings, request: OAuthRequest
) -> OAuthResponse:
    """RFC 7662 §2."""
    return _endpoint_response("introspection", storage, settings, request)


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A valid authorization request (§4.1.1): what the consent page shows."""

    client_id: str
    client_name: str
    scopes: list[Scope]
    redirect_uri: str


def _consent_grant(server: Server, request: OAuthRequest, owner: Owner | None) -> Any:
    try:
        return server.get_consent_grant(request, end_user=owner)
    except ValueError:
        # Authlib refuses to build an error whose text would echo characters that
        # RFC 6749 §5.2 forbids; such a request is malformed before anything is known.
        raise OAuthError(
            "the request has characters that are not allowed", code="invalid_request"
        ) from None


def check_authorization(
    storage: OAuthStorage, settings: Settings, request: OAuthRequest
) -> AuthorizationRequest | OAuthResponse:
    """Validate an authorization request (§4.1.1).

    Answers the request's details, or a redirect to the app carrying the error (§4.1.2.1).
    An error found before the client and redirect URI are known to be good is raised as
    :class:`OAuthError`, to be shown to the seller and never redirected.
    """
    server = Server(storage, settings)
    try:
        grant = _consent_grant(server, request, None)
    except OAuth2Error as error:
        if error.redirect_uri:
            response: OAuthResponse = server.handle_error_response(request, error)
            return with_issuer(response, settings.public_url)
        raise OAuthError(error.get_error_description() or "", code=error.error) from None
    client: OAuthClient = grant.client
    require_pushed(client, settings, request)
    return AuthorizationRequest(
        client_id=client.get_client_id(),
        client_name=client.name,
        scopes=sorted(parse_scopes(request.scope), key=list(Scope).index),
        redirect_uri=grant.redirect_uri,
    )


def authorization_response(
    storage: OAuthStorage, settings: Settings, request: OAuthRequest, seller_id: int, approved: bool
) -> OAuthResponse:
    """§4.1.2: the seller's decision, as a redirect with a code or ``access_denied``."""
    server = Server(storage, settings)
    owner = Owner(seller_id)
    try:
        grant = _consent_grant(server, request, owner)
    except OAuth2Error as error:
        if error.redirect_uri:
            refused: OAuthResponse = server.handle_error_response(request, error)
            return with_issuer(refused, settings.public_url)
        raise OAuthError(error.get_error_description() or "", code=error.error) from None
    require_pushed(grant.client, settings, request)
    result: OAuthResponse = server.create_authorization_response(
        request, grant_user=owner if approved else None, grant=grant
    )
    return with_issuer(result, settings.public_url)
