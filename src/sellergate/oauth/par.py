"""Pushed authorization requests (RFC 9126) and the issuer in authorization responses
(RFC 9207).

The PAR endpoint (§2) authenticates the app as the token endpoint does, validates the
parameters exactly as the authorization endpoint would (so a bad request is refused here, to
the app, never later in the seller's browser) and stores them; the app then sends the seller to
``/authorize`` with nothing but ``client_id`` and the ``request_uri``.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error

from sellergate.config import Settings
from sellergate.oauth.dpop_binding import InvalidDPoPProofError
from sellergate.oauth.models import OAuthClient
from sellergate.oauth.requests import OAuthRequest, OAuthResponse
from sellergate.oauth.server import Server, refuse_malformed
from sellergate.oauth.storage import OAuthStorage

EXPIRES_IN = 60  # §2.2: seconds; the request_uri is for the redirect that follows at once
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
# Client credentials are never stored with the pushed parameters.
_NOT_STORED = frozenset({"client_secret"})
NO_STORE = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


def _error(server: Server, request: OAuthRequest, error: OAuth2Error) -> OAuthResponse:
    """§2.3: errors go back to the app in the token endpoint's shape, never as a redirect."""
    error.redirect_uri = None
    return server.handle_error_response(request, error)


def par_response(storage: OAuthStorage, settings: Settings, request: OAuthRequest) -> OAuthResponse:
    """§2.1 - §2.2: ``201`` with ``request_uri`` and ``expires_in``, or an error (§2.3)."""
    server = Server(storage, settings)
    refused = refuse_malformed(request, server)
    if refused is not None:
        return refused
    try:
        client: OAuthClient = server.authenticate_client(request, AUTH_METHODS, endpoint="par")
        request.client = client  # type: ignore[assignment]  # known now, whatever is answered (the client's rate budget)
        if "request_uri" in request.payload.data:
            raise InvalidRequestError("request_uri may not be pushed (RFC 9126 section 2.1)")
        params = [(k, v) for k, v in request.payload_params if k not in _NOT_STORED]
        if "client_id" not in request.payload.data:
            params.append(("client_id", client.get_client_id()))
        params = _bind_to_proof(params, request)
        checked = OAuthRequest("GET", request.uri, {}, params)
        server.get_consent_grant(checked, end_user=None)
    except OAuth2Error as error:
        return _error(server, request, error)
    except ValueError:
        # Authlib refuses to describe characters that RFC 6749 §5.2 forbids in errors.
        return _error(server, request, InvalidRequestError("the request has invalid characters"))
    request_uri = storage.push_request(client.pk, urlencode(params), timedelta(seconds=EXPIRES_IN))
    body = {"request_uri": request_uri, "expires_in": EXPIRES_IN}
    return OAuthResponse(201, body, list(NO_STORE))


def _bind_to_proof(params: list[tuple[str, str]], request: OAuthRequest) -> list[tuple[str, str]]:
    """RFC 9449 §10.1: a DPoP proof sent with the pushed request binds the code to its key,
    like ``dpop_jkt``; both must then name the same key."""
    if request.dpop is None:
        return params
    named = dict(params).get("dpop_jkt")
    if named is not None and named != request.dpop.jkt:
        raise InvalidDPoPProofError("dpop_jkt is not the thumbprint of the DPoP proof's key")
    if named is None:
        params = [*params, ("dpop_jkt", request.dpop.jkt)]
    return params
