"""RFC 7009: token revocation.

An app may revoke its own tokens only. Revoking a refresh token revokes its whole grant, the
access tokens issued from it included (§2.1); revoking an access token revokes that token. A
token that is unknown, malformed or another app's is answered 200 like a revoked one (§2.2),
so the endpoint tells nobody anything about tokens that are not theirs.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint

from sellergate.oauth.authorization_code import TOKEN_AUTH_METHODS
from sellergate.oauth.records import RevocationReason, TokenInfo
from sellergate.tokens.format import TokenKind


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def authenticate_token(self, request: Any, client: Any) -> tuple[TokenInfo, str] | None:
        self.check_params(request, client)
        token = request.form["token"]
        info = self.server.storage.find_client_token(
            token, client.pk, staging=not self.server.settings.production
        )
        return (info, token) if info is not None else None

    def revoke_token(self, found: tuple[TokenInfo, str], request: Any) -> None:
        """§2.1: an access token alone; a refresh token takes its whole grant with it."""
        info, token = found
        if info.kind is TokenKind.REFRESH:
            self.server.storage.revoke_family(info.grant_id, RevocationReason.REVOKED_BY_APP)
        else:
            self.server.storage.revoke_access_token(token)
