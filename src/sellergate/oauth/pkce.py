"""RFC 7636 PKCE, ``S256`` only (RFC 9700 §2.1.1: ``plain`` is refused).

A public app must send a ``code_challenge``; a confidential app may, and whenever one was sent
the token request must carry the matching ``code_verifier`` (§4.6).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge

METHOD = "S256"


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    SUPPORTED_CODE_CHALLENGE_METHOD = [METHOD]
    CODE_CHALLENGE_METHODS = {METHOD: CodeChallenge.CODE_CHALLENGE_METHODS[METHOD]}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """RFC 7636 §4.3, checked at the authorization endpoint."""
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if not challenge and grant.request.client.public:
            raise InvalidRequestError(
                "public clients must use PKCE: send code_challenge and code_challenge_method=S256"
            )
        super().validate_code_challenge(grant, redirect_uri)
        if challenge and method != METHOD:
            raise InvalidRequestError("code_challenge_method must be S256 (plain is not supported)")
