"""The storage the OAuth core needs, as five small interfaces of its own.

In the manner of fosite's storage interfaces: one per concern, a few methods each, keyed by the
token or code (stores keep only its SHA-256 hash and find rows by it). The core reaches the
database only through these; :class:`sellergate.accounts.oauth_storage.SqlOAuthStorage` is the
SQLAlchemy implementation (the value types are the domain's own), and the tests hold an
in-memory one as the reference that the protocol tests run against in milliseconds.

Stores hold no protocol rules: when a spent refresh token is reuse, whether a retry may replace
a lost pair and when a family is revoked are decided by the core, in
:mod:`sellergate.oauth.rotation` (for a spent code, in the code grant). Stores find, claim, mint
and revoke, and keep these contracts:

- one-time things (a code, a refresh token, a lost pair replaced by a retry) are claimed by
  conditional writes: of concurrent claims exactly one wins;
- :meth:`RefreshTokenStorage.claim_refresh_token` locks the token's family until the transaction
  ends, so the refreshes of one family and its revocation are serialized (the lock order is in
  :mod:`sellergate.accounts.families`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from sellergate.oauth.records import (
    ClaimedCode,
    ClaimedRefreshToken,
    ClientRecord,
    MintedToken,
    PairToMint,
    PresentedRefreshToken,
    RefreshTokenState,
    Revocation,
    RevocationReason,
    Successor,
    TokenInfo,
    UnclaimedCode,
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

    def claim_code(self, code: str, client_pk: int) -> ClaimedCode | UnclaimedCode | None:
        """Spend the code if it is live (conditional write); else why not, or ``None`` if the
        app ``client_pk`` has no such code."""
        ...


class FamilyStorage(Protocol):
    """Grants and their refresh-token chains: creation, rotation, family revocation."""

    def create_family(self, *, seller_id: int, client_pk: int, scopes: str, code_id: int) -> int:
        """A new grant issued from the code ``code_id``; its id."""
        ...

    def revoke_family(self, grant_id: int, reason: RevocationReason) -> Revocation:
        """Revoke the grant and every token issued under it, in the one lock order."""
        ...


class RefreshTokenStorage(Protocol):
    """Refresh tokens (RFC 6749 §6) as :mod:`sellergate.oauth.rotation` spends them."""

    def claim_refresh_token(
        self,
        token: str,
        client_pk: int,
        *,
        now: datetime,
        proof_jkt: str | None,
        successor: Successor | None = None,
    ) -> PresentedRefreshToken | None:
        """The app's refresh token ``token`` (``None`` if it has none such), its family locked
        until the transaction ends, and spent in the same step if
        :meth:`~sellergate.oauth.records.PresentedRefreshToken.may_spend` at ``now`` with a
        proof by ``proof_jkt`` (a conditional write: of concurrent claims exactly one spends
        it); ``spent`` says whether this call did. The token's state is as read, and may be
        older than the lock (a claim that queued behind another reads it as it was, and does
        not spend it); the family's is as the lock found it.

        With ``successor``, a storage may also mint the new pair in the step that spends the
        token (the token's ``minted``), and then commit that step at once: a spent token
        with its pair stored is the whole of a refresh's writes. A token it did not spend is
        answered locked, as without."""
        ...

    def refresh_token_state(self, token_id: int) -> RefreshTokenState:
        """The token's state as it is now (a claim that lost the race reads it again)."""
        ...

    def replace_unused_pair(self, token_id: int, now: datetime) -> ClaimedRefreshToken | None:
        """Revoke the pair issued when ``token_id`` was spent (its successor refresh token and
        that one's access token), only if neither half was ever used and both are live: a
        conditional write, so of concurrent calls at most one succeeds. The successor, to chain
        the replacement to, or ``None`` (then part of the pair may be revoked all the same)."""
        ...

    def refresh_token_scopes(self, token: str, client_pk: int) -> str | None: ...


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

    def mint_pair(self, pair: PairToMint) -> tuple[str, str]:
        """Store an access token and the refresh token issued with it (hashes only); the two
        tokens, returned once."""
        ...

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
    RefreshTokenStorage,
    AccessTokenStorage,
    PushedRequestStorage,
    Protocol,
):
    """Everything the core needs, as one object per request."""
