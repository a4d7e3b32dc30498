"""The storage the OAuth core needs, as four small interfaces of its own.

In the manner of fosite's storage interfaces: one per concern, a few methods each, keyed by the
token or code (stores keep only its SHA-256 hash and find rows by it). The core reaches the
database only through these; :class:`sellergate.accounts.oauth_storage.SqlOAuthStorage` is the
SQLAlchemy implementation (the value types are the domain's own), and the tests hold an
in-memory one as the reference that the protocol tests run against in milliseconds.

Contracts every implementation keeps:

- one-time things (a code, a refresh token, a retried successor) are claimed atomically: of
  concurrent claims exactly one wins;
- a refresh claim refuses a token whose family is revoked or whose app is disabled, and is
  serialized with revocation of that family (see :mod:`sellergate.accounts.families`);
- presenting a spent code or refresh token revokes its family (outside the reuse window).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sellergate.oauth.records import (
    ClaimedCode,
    ClaimedRefreshToken,
    ClientRecord,
    MintedToken,
    Revocation,
    RevocationReason,
    TokenInfo,
)
from sellergate.scopes import Scope


class ClientStorage(Protocol):
    def find_client(self, client_id: str) -> ClientRecord | None: ...


class CodeStorage(Protocol):
    """Authorization codes (RFC 6749 §4.1.2)."""

    def save_code(
        self,
        code: str,
        *,
        client_pk: int,
        seller_id: int,
        redirect_uri: str,
        scopes: str,
        code_challenge: str | None,
        code_challenge_method: str | None,
        ttl: timedelta,
        dpop_jkt: str | None = None,
    ) -> None: ...

    def claim_code(self, code: str, client_pk: int) -> ClaimedCode:
        """Spend the code; :class:`InvalidGrant` if it cannot be (reuse revokes its family)."""
        ...


class FamilyStorage(Protocol):
    """Grants and their refresh-token chains: creation, rotation, family revocation."""

    def create_family(self, *, seller_id: int, client_pk: int, scopes: str, code_id: int) -> int:
        """A new grant issued from the code ``code_id``; its id."""
        ...

    def mint_refresh_token(
        self,
        *,
        grant_id: int,
        client_pk: int,
        seller_id: int,
        scopes: str,
        staging: bool,
        ttl: timedelta,
        parent_id: int | None,
        access_token_id: int | None,
        jkt: str | None = None,
    ) -> str: ...

    def claim_refresh_token(
        self, token: str, client_pk: int, *, staging: bool, window: timedelta
    ) -> ClaimedRefreshToken:
        """Spend the token (or, within ``window``, its never-used successor); raise
        :class:`InvalidGrant` otherwise, revoking the family on reuse (RFC 9700 §4.14.2)."""
        ...

    def refresh_token_scopes(self, token: str, client_pk: int) -> str | None: ...

    def refresh_token_jkt(self, token: str, client_pk: int) -> str | None:
        """The DPoP key thumbprint the token is bound to (RFC 9449 §5), without spending it."""
        ...

    def revoke_family(self, grant_id: int, reason: RevocationReason) -> Revocation: ...


class AccessTokenStorage(Protocol):
    def mint_access_token(
        self,
        *,
        seller_id: int,
        scopes: frozenset[Scope],
        staging: bool,
        expires_at: datetime,
        client_pk: int,
        grant_id: int,
        jkt: str | None = None,
    ) -> MintedToken: ...

    def find_client_token(self, token: str, client_pk: int, *, staging: bool) -> TokenInfo | None:
        """An access or refresh token of the app ``client_pk`` (RFC 7662 §2.2); its ``active``
        is false when the token, its family or its app is dead."""
        ...

    def revoke_access_token(self, token: str) -> None: ...


class PushedRequestStorage(Protocol):
    """Pushed authorization requests (RFC 9126 §2)."""

    def push_request(self, client_pk: int, query: str, ttl: timedelta) -> str:
        """Store the parameters ``query`` of the app ``client_pk``; the ``request_uri``."""
        ...


class OAuthStorage(
    ClientStorage,
    CodeStorage,
    FamilyStorage,
    AccessTokenStorage,
    PushedRequestStorage,
    Protocol,
):
    """Everything the core needs, as one object per request."""
