"""RFC 6749 §6: refreshing an access token, with rotation and reuse detection (RFC 9700 §4.14).

Every refresh spends the presented refresh token and issues a new one with the same scope; the
access token may be narrowed with ``scope``, never widened. What may be spent, and when a
presentation is reuse that revokes the whole grant, is :func:`sellergate.oauth.rotation.spend`'s
to decide.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidScopeError

from sellergate.errors import InvalidGrant
from sellergate.oauth import rotation
from sellergate.oauth.authorization_code import TOKEN_AUTH_METHODS, Owner
from sellergate.oauth.models import RefreshRecord
from sellergate.scopes import ScopeError, parse_scopes


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshRecord:
        """Check a narrowed scope first (§6: a refused request must not spend the token)."""
        storage = self.server.storage
        client = self.request.client
        requested = self.request.payload.scope
        if requested:
            original = storage.refresh_token_scopes(refresh_token, client.pk)
            try:
                widened = original is not None and not parse_scopes(requested) <= parse_scopes(
                    original
                )
            except ScopeError as exc:
                raise InvalidScopeError(str(exc).replace('"', "'")) from None
            if widened:
                raise InvalidScopeError(
                    f"scope may be narrowed on refresh, never widened beyond {original}"
                )
        settings = self.server.settings
        try:
            claimed = rotation.spend(
                storage,
                refresh_token,
                client.pk,
                staging=not settings.production,
                window=settings.refresh_reuse_window,
                proof=self.request.dpop,
                successor=self.server.successor(self.request),
            )
        except InvalidGrant as exc:
            raise InvalidGrantError(exc.description) from None
        return RefreshRecord(claimed)

    def authenticate_user(self, refresh_token: RefreshRecord) -> Owner:
        return Owner(refresh_token.claimed.seller_id)

    def revoke_old_credential(self, refresh_token: RefreshRecord) -> None:
        """Nothing to do: :meth:`authenticate_refresh_token` spent the token atomically."""
