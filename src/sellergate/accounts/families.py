"""Grants (token families): creation and revocation, and the lock order they share with refresh.

A *grant* is one seller's authorization of one app; every access and refresh token issued from
it belongs to its family. Revocation is a fact about the grant row (``revoked_at``) and the app
row (``clients.disabled_at``), and every place that accepts a token (the bearer check,
introspection, the refresh claim) joins those rows in the statement that finds the token. The
token rows are marked revoked too, for the dashboard and for pruning, but nothing relies on
that bulk UPDATE having seen every row.

Lock order, the same everywhere, so that no two transactions wait on each other in a cycle:
``clients`` row -> ``grants`` row -> token rows. Revocation takes the grant rows first
(:func:`revoke_families`, the one function every revoking path calls); a refresh locks its
grant row in the statement that finds its token
(:func:`sellergate.accounts.refresh_claim.claim_refresh_token`), before it spends or mints
anything. So a refresh either commits before a revocation of its grant takes the grant lock
(and the revocation's token UPDATE, a later statement, sees what it minted), or it waits and
then finds the grant revoked.
SQLite serializes writers anyway (``BEGIN IMMEDIATE``); PostgreSQL needs the row locks.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, bindparam, func, literal, select, update
from sqlalchemy.orm import Session

from sellergate.errors import InvalidGrant
from sellergate.oauth.records import Revocation, RevocationReason, RevokedGrant
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken
from sellergate.storage.types import UTCDateTime, utcnow

# The first step of the lock order for a new family: its app's row, shared. A concurrent
# ``clients disable`` (which updates that row) then either waits for the new grant to commit
# and revokes it, or has committed and the grant is refused here.
_LOCK_CLIENT = (
    select(Client.disabled_at).where(Client.id == bindparam("client_pk")).with_for_update(read=True)
)


def create_grant(session: Session, *, seller_id: int, client_pk: int, scopes: str) -> int:
    """A new grant; :class:`InvalidGrant` if the app is disabled (or gone)."""
    app = session.connection().execute(_LOCK_CLIENT, {"client_pk": client_pk}).one_or_none()
    if app is None or app.disabled_at is not None:
        raise InvalidGrant("the app was disabled")
    grant = Grant(seller_id=seller_id, client_id=client_pk, scopes=scopes)
    session.add(grant)
    session.flush()
    return grant.id


def revoke_families(
    session: Session, which: ColumnElement[bool], reason: RevocationReason
) -> Revocation:
    """Revoke every grant matching ``which`` (a condition on :class:`Grant`) and its tokens.

    The only function that revokes families: grant rows first (locked in id order), then
    access tokens, then refresh tokens, in bulk statements. Grants already revoked are locked
    and swept again (their ``revoked_at`` and reason are kept), so that a family left with live
    token rows by an older revocation can always be cleaned up.
    """
    # Lock the grant rows in id order first: two revocations over overlapping sets of grants
    # (a disconnect and a disable, say) then queue instead of deadlocking.
    locked = list(
        session.scalars(select(Grant.id).where(which).order_by(Grant.id).with_for_update())
    )
    if not locked:
        return Revocation(reason, [], 0)
    now = utcnow()
    rows = session.execute(
        update(Grant)
        .where(Grant.id.in_(locked))
        .values(
            revoked_at=func.coalesce(Grant.revoked_at, literal(now, UTCDateTime)),
            revoked_reason=func.coalesce(Grant.revoked_reason, reason.value),
        )
        .returning(Grant.id, Grant.seller_id, Grant.client_id, Grant.revoked_at)
        .execution_options(synchronize_session=False)
    ).all()
    if not rows:
        return Revocation(reason, [], 0)
    ids = [row.id for row in rows]
    tokens = _count(
        session.execute(
            update(AccessToken)
            .where(AccessToken.grant_id.in_(ids), AccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    # Spent refresh tokens can never be claimed again and are left as they are.
    tokens += _count(
        session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.grant_id.in_(ids),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.used_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    newly = [
        RevokedGrant(row.id, row.seller_id, row.client_id) for row in rows if row.revoked_at == now
    ]
    return Revocation(reason, newly, tokens)


def revoke_family(session: Session, grant_id: int, reason: RevocationReason) -> Revocation:
    return revoke_families(session, Grant.id == grant_id, reason)


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
