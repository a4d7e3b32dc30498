"""RFC 6749 §4.1: the authorization code grant, with PKCE (RFC 7636) as an extension.

The code is a random string stored only as a hash. It is bound to the app, the redirect URI
and the PKCE challenge, and it is spent by an atomic claim the moment the token request
presents it (:meth:`sellergate.oauth.storage.CodeStorage.claim_code`): a second presentation
fails with ``invalid_grant`` and revokes what the first one produced (§4.1.2, §10.5), decided
here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, OAuth2Error

from sellergate.oauth.dpop_binding import DPoPMode, check_key, requested_jkt
from sellergate.oauth.models import CodeRecord, OAuthClient
from sellergate.oauth.records import ClaimedCode, RevocationReason
from sellergate.tokens.format import random_base62

CODE_LENGTH = 32
TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


@dataclass(frozen=True, slots=True)
class Owner:
    """The resource owner (RFC 6749 §1.1): the seller who approved."""

    seller_id: int


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    @staticmethod
    def validate_authorization_redirect_uri(request: Any, client: OAuthClient) -> str:
        """§3.1.2.3 with RFC 9700 §4.1.3: exact match; may be left out if only one is registered.

        Failing here is shown to the seller, never redirected (§4.1.2.1).
        """
        requested = request.payload.redirect_uri
        if requested:
            if not client.check_redirect_uri(requested):
                raise InvalidRequestError("the redirect_uri is not registered for this app")
            return str(requested)
        default = client.get_default_redirect_uri()
        if not default:
            raise InvalidRequestError(
                "redirect_uri is required: this app has several registered redirect URIs"
            )
        return default

    def validate_authorization_request(self) -> str:
        """§4.1.1, and RFC 9449 §10: a ``dpop_jkt`` that cannot be a key's thumbprint is
        refused with the request's other errors, before the seller is asked to consent, and
        redirected to the app like them (§4.1.2.1)."""
        redirect_uri: str = super().validate_authorization_request()
        if self.request.client.row.dpop_mode != DPoPMode.OFF:
            try:
                requested_jkt(self.request.payload.data.get("dpop_jkt"))
            except OAuth2Error as error:
                error.redirect_uri = redirect_uri
                raise
        return redirect_uri

    def generate_authorization_code(self) -> str:
        return random_base62(CODE_LENGTH)

    def save_authorization_code(self, code: str, request: Any) -> None:
        """§4.1.2: remember what the code stands for; only its hash is stored."""
        data = request.payload.data
        challenge = data.get("code_challenge")
        dpop_jkt = None
        if request.client.row.dpop_mode != DPoPMode.OFF:
            dpop_jkt = requested_jkt(data.get("dpop_jkt"))
        self.server.storage.save_code(
            code,
            client_pk=request.client.pk,
            seller_id=request.user.seller_id,
            redirect_uri=request.payload.redirect_uri or "",
            scopes=request.scope,
            code_challenge=challenge,
            code_challenge_method=data.get("code_challenge_method") if challenge else None,
            ttl=self.server.settings.authorization_code_ttl,
            dpop_jkt=dpop_jkt,
        )

    def query_authorization_code(self, code: str, client: OAuthClient) -> CodeRecord:
        """§4.1.3: the code must have been issued to this client; it is spent here."""
        storage = self.server.storage
        claimed = storage.claim_code(code, client.pk)
        if isinstance(claimed, ClaimedCode):
            check_key(claimed.dpop_jkt, self.request.dpop, "the authorization code")  # §10
            return CodeRecord(claimed)
        if claimed is None:
            raise InvalidGrantError("the authorization code is not valid for this client")
        if claimed.spent:
            if claimed.grant_id is not None:
                storage.revoke_family(claimed.grant_id, RevocationReason.CODE_REUSED)
            raise InvalidGrantError(
                "the authorization code was already used; tokens issued from it are revoked"
            )
        raise InvalidGrantError("the authorization code expired; start the authorization again")

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Nothing to do: the claim in :meth:`query_authorization_code` spent the code."""

    def authenticate_user(self, authorization_code: CodeRecord) -> Owner:
        return Owner(authorization_code.claimed.seller_id)
