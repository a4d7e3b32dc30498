"""The front channel's rules for the authorization endpoint: pushed requests only, when an app
must push them (RFC 9126 §5), and the issuer on every redirect back to an app (RFC 9207)."""

from __future__ import annotations

from urllib.parse import urlencode

from sellergate.config import Settings
from sellergate.errors import OAuthError
from sellergate.oauth.models import OAuthClient
from sellergate.oauth.requests import OAuthRequest, OAuthResponse


def require_pushed(client: OAuthClient, settings: Settings, request: OAuthRequest) -> None:
    """§5: an app (or, with ``SELLERGATE_REQUIRE_PAR``, every app) that must push its
    authorization requests is refused a plain one; shown to the seller, never redirected."""
    if (client.row.require_par or settings.require_par) and not request.pushed:
        raise OAuthError(
            "this app must push its authorization requests first (RFC 9126)",
            code="invalid_request",
        )


def with_issuer(response: OAuthResponse, issuer: str) -> OAuthResponse:
    """RFC 9207 §2: every authorization response redirected to an app, success or error,
    carries ``iss``, so an app talking to several servers can tell which one answered."""
    location = response.location
    if location is None:
        return response
    joined = location + ("&" if "?" in location else "?") + urlencode({"iss": issuer})
    headers = [(k, joined if k.lower() == "location" else v) for k, v in response.headers]
    return OAuthResponse(response.status, response.body, headers)
