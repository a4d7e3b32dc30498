"""RFC 7662: token introspection, for the app's own tokens only.

Only confidential apps may call it (§2.1 requires the caller to authenticate). A token that is
not the calling app's (another app's, a seller's personal token, or an unknown string) is
answered exactly like a dead one: ``{"active": false}`` (§2.2), and nothing else.
"""

from __future__ import annotations

from typing import Any

from authlib.consts import default_json_headers
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from sellergate.oauth.models import CONFIDENTIAL_AUTH_METHODS
from sellergate.oauth.records import TokenInfo
from sellergate.tokens.format import TokenKind


def payload(info: TokenInfo | None, client_id: str) -> dict[str, Any]:
    """§2.2: the members of an introspection response."""
    if info is None or not info.active:
        return {"active": False}
    body: dict[str, Any] = {
        "active": True,
        "scope": info.scopes,
        "client_id": client_id,
        "username": info.username,
        "token_type": _token_type(info),
        "iat": int(info.issued_at.timestamp()),
        "sub": str(info.seller_id),
    }
    if info.expires_at is not None:
        body["exp"] = int(info.expires_at.timestamp())
    if info.jkt is not None:
        body["cnf"] = {"jkt": info.jkt}  # RFC 9449 §6.2
    return body


def _token_type(info: TokenInfo) -> str:
    if info.kind is not TokenKind.ACCESS:
        return "refresh_token"
    return "DPoP" if info.jkt is not None else "Bearer"


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(CONFIDENTIAL_AUTH_METHODS)

    def create_endpoint_response(self, request: Any) -> tuple[int, dict[str, Any], Any]:
        client = self.authenticate_endpoint_client(request)
        self.check_params(request, client)
        info = self.server.storage.find_client_token(
            request.form["token"],
            client.pk,
            staging=not self.server.settings.production,
        )
        return 200, payload(info, client.get_client_id()), default_json_headers
