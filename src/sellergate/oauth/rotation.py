"""Refresh-token rotation, reuse detection and the lost-response retry window: the one place
these rules are decided (RFC 6749 §6, RFC 9700 §4.14.2).

Every refresh spends the presented token and the grant chains a new pair to it, so a family is
one chain. A token that cannot be spent is, in this order:

- *refused* with its family untouched when it is malformed, another app's, its family already
  revoked or its app disabled, or it simply expired;
- *retried*: it was spent by its own presentation less than ``window`` ago, and the pair issued
  for it was never used (neither its refresh token presented nor its access token sent to the
  API). Its client evidently lost the response, so that pair is revoked and a new one is chained
  in its place. A retry replaces only the pair issued for the token it presents, and only once;
- otherwise *reuse*: a spent token presented again (after the window, or after the pair was
  used), or a token that died alone (a pair replaced by a retry: its holder never presented
  the token it got). Either means two parties hold the family: it is revoked, every token of it.

Under the family's lock (:meth:`RefreshTokenStorage.claim_refresh_token`), refreshes of one
family run one at a time, so each of these decisions sees the last one's outcome; the
conditional writes of the storage make each step one-time even so. The claim spends a token
that :meth:`~sellergate.oauth.records.PresentedRefreshToken.may_spend` in the step that finds
it (one statement on PostgreSQL); every other case is decided here, from what it found.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

from authlib.oauth2.rfc6749.errors import OAuth2Error

from sellergate.errors import InvalidGrant
from sellergate.oauth.dpop import Proof
from sellergate.oauth.dpop_binding import check_key
from sellergate.oauth.records import ClaimedRefreshToken, RevocationReason, Successor
from sellergate.oauth.storage import FamilyStorage, RefreshTokenStorage
from sellergate.tokens.format import MalformedToken, TokenKind, parse


class RotationStorage(FamilyStorage, RefreshTokenStorage, Protocol):
    """What a refresh needs of storage."""


REUSED = "the refresh token was already used; every token of this authorization is revoked"


def _well_formed(token: str, staging: bool) -> bool:
    try:
        parsed = parse(token)
    except MalformedToken:
        return False
    return parsed.kind is TokenKind.REFRESH and parsed.staging == staging


def spend(
    storage: RotationStorage,
    token: str,
    client_pk: int,
    *,
    staging: bool,
    window: timedelta,
    proof: Proof | None = None,
    successor: Successor | None = None,
) -> ClaimedRefreshToken:
    """Spend the refresh token ``token`` of the app ``client_pk`` for a new pair, by the rules
    above; :class:`InvalidGrant` saying why not. A token bound to a DPoP key (RFC 9449 §5)
    needs ``proof``, by that key: checked first, so a thief without the key can neither spend
    the token nor, presenting a spent one, set off reuse detection (the grant's lock, taken by
    the same statement that reads the binding, is let go when the transaction ends).
    ``successor``: the new pair, which the storage may mint as it spends the token (then
    the token answered has it ``minted``)."""
    if not _well_formed(token, staging):
        raise InvalidGrant("the refresh token is malformed or for another environment")
    now = datetime.now(UTC)
    presented = storage.claim_refresh_token(
        token,
        client_pk,
        now=now,
        proof_jkt=None if proof is None else proof.jkt,
        successor=successor,
    )
    if presented is None:
        raise InvalidGrant("the refresh token is not valid for this client")
    try:
        check_key(presented.jkt, proof, "the refresh token")
        if presented.client_disabled:
            raise InvalidGrant("the app was disabled")
        if presented.grant_revoked:
            raise InvalidGrant("the authorization was revoked; ask the seller to connect again")
    except OAuth2Error as refused:
        if presented.spent:
            # The storage spent what these rules refuse (its SQL and may_spend disagree): a
            # refusal would commit a spent token with no pair for it. Fail instead (rolled
            # back, unless the claim was committed alone with its pair: see the storage).
            raise RuntimeError("the storage spent a refresh token that is refused") from refused
        raise
    if presented.spent:
        return presented.token
    # Not spent, and decided on the token's state as it is now. A state read before the lock
    # was granted may still say live: another refresh spent the token first.
    now = datetime.now(UTC)
    state = presented.state
    if state.live(now):
        state = storage.refresh_token_state(presented.token.id)
    grant_id = presented.token.grant_id
    if state.used_at is not None:
        if now - state.used_at <= window:
            replaced = storage.replace_unused_pair(presented.token.id, now)
            if replaced is not None:
                return replaced
        storage.revoke_family(grant_id, RevocationReason.REUSE_DETECTED)
        raise InvalidGrant(REUSED)
    if state.revoked_at is not None:
        # Its family is live (checked under the lock), so this token died alone: it is the
        # lost half of a pair that a retry replaced, and it was never its holder's to present.
        storage.revoke_family(grant_id, RevocationReason.REUSE_DETECTED)
        raise InvalidGrant(
            "the refresh token was replaced by a retry of its predecessor; every token of "
            "this authorization is revoked"
        )
    raise InvalidGrant("the refresh token expired; ask the seller to authorize again")
