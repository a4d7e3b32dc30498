"""The values the OAuth core and its storage exchange (RFC 6749 §4.1, §6; RFC 7662 §2.2).

Plain, immutable records with no I/O: the storage interfaces (:mod:`sellergate.oauth.storage`)
take and return these, so the protocol core depends on no database code, and the SQLAlchemy
implementation (:mod:`sellergate.accounts.oauth_storage`) builds them from its rows.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sellergate.scopes import Scope
from sellergate.tokens.format import TokenKind

LOOPBACK_HOSTS = ("localhost",)


@dataclass(frozen=True, slots=True)
class MintedToken:
    token: str
    token_id: int


@dataclass(frozen=True, slots=True)
class PairToMint:
    """An access token and the refresh token issued with it, for the grant ``grant_id``: by a
    code exchange (no ``parent_id``) or by a refresh (the spent token's id)."""

    seller_id: int
    client_pk: int
    grant_id: int
    staging: bool
    access_scopes: frozenset[Scope]
    access_expires_at: datetime
    access_jkt: str | None
    refresh_scopes: str
    refresh_ttl: timedelta
    refresh_jkt: str | None
    parent_id: int | None


@dataclass(frozen=True, slots=True)
class Successor:
    """The pair a refresh issues, as far as it is known before its refresh token is claimed:
    the rest (the grant, the seller, the refresh token's scope, the parent) is the claimed
    token's. ``access_scopes`` None: the access token gets the refresh token's scope too."""

    staging: bool
    access_scopes: frozenset[Scope] | None
    access_expires_at: datetime
    access_jkt: str | None
    refresh_ttl: timedelta
    refresh_jkt: str | None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What introspection (RFC 7662 §2.2) tells an app about one of its tokens."""

    kind: TokenKind
    active: bool
    scopes: str
    seller_id: int
    username: str
    grant_id: int
    issued_at: datetime
    expires_at: datetime | None
    jkt: str | None = None  # RFC 9449 §6.2: the key a DPoP-bound token is bound to


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """A registered app as the OAuth protocol sees it (RFC 6749 §2)."""

    pk: int
    client_id: str
    name: str
    public: bool
    secret_hash: str | None
    redirect_uris: list[str]
    scopes: str  # the app's maximum, space-separated
    disabled: bool
    dpop_mode: str = "optional"  # RFC 9449: off | optional | required
    require_par: bool = False  # RFC 9126 §5


@dataclass(frozen=True, slots=True)
class ClaimedCode:
    id: int
    seller_id: int
    redirect_uri: str
    scopes: str
    code_challenge: str | None
    code_challenge_method: str | None
    dpop_jkt: str | None = None  # RFC 9449 §10


@dataclass(frozen=True, slots=True)
class UnclaimedCode:
    """An app's code that could not be claimed: ``spent`` (then ``grant_id`` is the family its
    exchange produced, if it got that far), or else expired."""

    spent: bool
    grant_id: int | None


class RevocationReason(enum.StrEnum):
    """Why a family was revoked; recorded on the grant and returned to the caller."""

    REUSE_DETECTED = "reuse_detected"
    CODE_REUSED = "code_reused"
    DISCONNECTED = "disconnected"
    CLIENT_DISABLED = "client_disabled"
    REVOKED_BY_APP = "revoked_by_app"
    LEAKED = "leaked"  # one of its tokens was reported found in public


@dataclass(frozen=True, slots=True)
class RevokedGrant:
    grant_id: int
    seller_id: int
    client_pk: int


@dataclass(frozen=True, slots=True)
class Revocation:
    """What one call of :func:`revoke_families` did."""

    reason: RevocationReason
    grants: list[RevokedGrant]  # newly revoked by this call
    tokens: int  # live token rows marked revoked by this call

    @property
    def changed(self) -> bool:
        return bool(self.grants) or self.tokens > 0


@dataclass(frozen=True, slots=True)
class ClaimedRefreshToken:
    """A refresh token spent by this request: the new pair is chained to it (``id``).
    ``minted``: that pair (access token, refresh token) when the claim stored it already, in
    the statement that spent the token; None: it is still to be minted."""

    id: int
    grant_id: int
    seller_id: int
    scopes: str
    minted: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class RefreshTokenState:
    """Where a refresh token stands: ``used_at`` is set when its own presentation spent it,
    ``revoked_at`` when it died unspent (its family revoked, or its pair replaced by a retry)."""

    used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


@dataclass(frozen=True, slots=True)
class PresentedRefreshToken:
    """A presented refresh token as found, with its family locked for this transaction
    (RFC 6749 §6): the token's state as read, whether its family may still refresh, and
    whether the claim that found it spent it."""

    token: ClaimedRefreshToken
    state: RefreshTokenState
    grant_revoked: bool
    client_disabled: bool
    # RFC 9449 §5: the thumbprint of the DPoP key the token is bound to; None: not bound.
    jkt: str | None = None
    # Whether the claim that found it spent it (RefreshTokenStorage.claim_refresh_token).
    spent: bool = False

    def may_spend(self, now: datetime, proof_jkt: str | None) -> bool:
        """Whether a claim at ``now``, with a DPoP proof by the key ``proof_jkt`` (or none),
        spends the token: it is live, its family is not revoked, its app is not disabled, and
        a token bound to a key is presented with a proof by that key. The one rule; the
        PostgreSQL claim (:mod:`sellergate.accounts.refresh_claim`) writes it in SQL."""
        return (
            self.state.live(now)
            and not self.grant_revoked
            and not self.client_disabled
            and (self.jkt is None or self.jkt == proof_jkt)
        )


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
