"""The refresh claim (RFC 6749 §6, RFC 9700 §4.14.2): find a presented refresh token, lock its
family, and spend it if it may be spent.

The storage side of the first step of :func:`sellergate.oauth.rotation.spend`. A refresh runs
the lookup that also locks the grant (see the lock order in :mod:`sellergate.accounts.families`),
the conditional UPDATE that spends the token if it may be spent (of concurrent claims exactly one
wins), and the INSERT of the new pair. On SQLite these are four statements in one transaction
(:func:`claim_refresh_token`, then :func:`~sellergate.accounts.refresh_tokens.mint_token_pair`).
On PostgreSQL they are one statement, which is the whole of the refresh's transaction and so
runs alone: one round trip instead of four (BEGIN, the claim, the pair, COMMIT;
:func:`claim_refresh_token` with a ``successor``, measured in docs/benchmarks.md). A token that
statement did not spend is found again under the lock in a transaction, for the rotation's rules
to decide what it is. The statements are prebuilt (:mod:`sellergate.storage.prebuilt`).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Connection,
    String,
    Table,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    update,
)

from sellergate.accounts.access_tokens import MINTED, access_row
from sellergate.accounts.refresh_tokens import MINTED_REFRESH, refresh_row
from sellergate.oauth.records import (
    ClaimedRefreshToken,
    PresentedRefreshToken,
    RefreshTokenState,
    Successor,
)
from sellergate.storage.models import AccessToken, Client, Grant, RefreshToken
from sellergate.storage.prebuilt import Prebuilt
from sellergate.tokens.hashing import token_hash

_REFRESH = cast(Table, RefreshToken.__table__)
_ACCESS = cast(Table, AccessToken.__table__)

# The refresh side of the lock order, and the lookup, in one statement: the token by its hash,
# its grant row locked (``FOR UPDATE OF grants``), with its app's state. FOR UPDATE rather than
# FOR SHARE: two refreshes of one grant that both held a shared lock and then both revoked on
# reuse would deadlock upgrading it; a grant has one chain, so serializing its refreshes costs
# nothing. Under READ COMMITTED a locking read that waited returns the grant as the revoking
# transaction committed it (the token's own columns may be older: the spend re-checks them).
_PRESENTED = (
    select(
        RefreshToken.id,
        RefreshToken.grant_id,
        RefreshToken.seller_id,
        RefreshToken.scopes,
        RefreshToken.used_at,
        RefreshToken.revoked_at,
        RefreshToken.expires_at,
        Grant.revoked_at.is_not(None).label("grant_revoked"),
        Client.disabled_at.is_not(None).label("client_disabled"),
        RefreshToken.jkt,
    )
    .join(Grant, Grant.id == RefreshToken.grant_id)
    .join(Client, Client.id == Grant.client_id)
    .where(
        RefreshToken.token_hash == bindparam("digest"),
        RefreshToken.client_id == bindparam("client_pk"),
    )
    .with_for_update(of=Grant)
)
_LOCK = Prebuilt(_PRESENTED)

# The spend: a conditional write, so of concurrent claims exactly one wins. A claim that queued
# behind another's lock finds the row changed, and PostgreSQL checks these conditions again on
# the row as that one committed it.
_LIVE = (
    RefreshToken.used_at.is_(None),
    RefreshToken.revoked_at.is_(None),
    RefreshToken.expires_at > bindparam("now"),
)
_SPEND = Prebuilt(
    update(_REFRESH)
    .where(RefreshToken.id == bindparam("token_id"), *_LIVE)
    .values(used_at=bindparam("now"))
)

# On PostgreSQL the lookup, the lock and the spend are one statement (one round trip less per
# refresh): the spend is a data-modifying CTE over the locked row, under the conditions of
# PresentedRefreshToken.may_spend written in SQL, and the answer says whether it spent.
_LOCKED = _PRESENTED.cte("presented")
_SPENT = (
    update(_REFRESH)
    .where(
        RefreshToken.id == _LOCKED.c.id,
        *_LIVE,
        _LOCKED.c.grant_revoked.is_(False),
        _LOCKED.c.client_disabled.is_(False),
        or_(_LOCKED.c.jkt.is_(None), _LOCKED.c.jkt == bindparam("proof_jkt", type_=String)),
    )
    .values(used_at=bindparam("now"))
    .returning(RefreshToken.id, RefreshToken.grant_id, RefreshToken.seller_id, RefreshToken.scopes)
    .cte("spent")
)
_CLAIM = Prebuilt(
    select(*_LOCKED.c, exists(select(_SPENT.c.id)).label("spent")).select_from(_LOCKED)
)

# And with the successor pair minted in the same statement, from the spent token's row: the
# access token's INSERT, then the refresh token's, chained to both (a refresh whole in one
# statement, committed alone: see claim_refresh_token). Nothing is inserted unless the token
# was spent. The access token has the refresh token's scope unless a narrower one is given.
_FROM_SPENT = {"grant_id": _SPENT.c.grant_id, "seller_id": _SPENT.c.seller_id}
_SUCCESSOR_ACCESS = (
    insert(_ACCESS)
    .from_select(
        list(MINTED),
        select(
            *(
                _FROM_SPENT[name]
                if name in _FROM_SPENT
                else func.coalesce(bindparam("a_scopes", type_=String), _SPENT.c.scopes)
                if name == "scopes"
                else bindparam("a_" + name, type_=_ACCESS.c[name].type)
                for name in MINTED
            )
        ).select_from(_SPENT),
    )
    .returning(_ACCESS.c.id)
    .cte("successor_access")
)
_FROM_CLAIM = {
    **_FROM_SPENT,
    "scopes": _SPENT.c.scopes,
    "parent_id": _SPENT.c.id,
    "access_token_id": _SUCCESSOR_ACCESS.c.id,
}
_SUCCESSOR = (
    insert(_REFRESH)
    .from_select(
        list(MINTED_REFRESH),
        select(
            *(
                _FROM_CLAIM[name]
                if name in _FROM_CLAIM
                else bindparam("r_" + name, type_=_REFRESH.c[name].type)
                for name in MINTED_REFRESH
            )
        ).select_from(_SPENT.join(_SUCCESSOR_ACCESS, true())),
    )
    .returning(RefreshToken.id)
    .cte("successor")
)
_CLAIM_AND_MINT = Prebuilt(
    select(*_LOCKED.c, exists(select(_SUCCESSOR.c.id)).label("minted")).select_from(_LOCKED)
)


def _successor_parameters(
    successor: Successor, client_pk: int
) -> tuple[tuple[str, str], dict[str, object]]:
    """The tokens of the pair ``successor`` describes, and the parameters of its INSERTs in
    :data:`_CLAIM_AND_MINT` (the columns not taken from the spent token)."""
    access_token, access = access_row(
        seller_id=0,  # the spent token's
        scopes=successor.access_scopes or (),
        staging=successor.staging,
        expires_at=successor.access_expires_at,
        client_id=client_pk,
        jkt=successor.access_jkt,
    )
    refresh_token, refresh = refresh_row(
        grant_id=0,  # the spent token's
        client_pk=client_pk,
        seller_id=0,
        scopes="",
        staging=successor.staging,
        ttl=successor.refresh_ttl,
        jkt=successor.refresh_jkt,
    )
    parameters: dict[str, object] = {
        "a_" + name: value for name, value in access.items() if name not in _FROM_SPENT
    }
    parameters["a_scopes"] = None if successor.access_scopes is None else access["scopes"]
    parameters.update(
        {"r_" + name: value for name, value in refresh.items() if name not in _FROM_CLAIM}
    )
    return (access_token, refresh_token), parameters


def _presented(row: tuple[Any, ...], *, spent: bool) -> PresentedRefreshToken:
    token_id, grant_id, seller_id, scopes, used_at, revoked_at, expires_at = row[:7]
    return PresentedRefreshToken(
        ClaimedRefreshToken(token_id, grant_id, seller_id, scopes),
        RefreshTokenState(used_at, revoked_at, expires_at),
        grant_revoked=row[7],
        client_disabled=row[8],
        jkt=row[9],
        spent=spent,
    )


def claim_refresh_token(
    connection: Connection,
    token: str,
    client_pk: int,
    *,
    now: datetime,
    proof_jkt: str | None,
    successor: Successor | None = None,
) -> PresentedRefreshToken | None:
    """Find and lock, and spend if it may be spent (see :meth:`RefreshTokenStorage
    .claim_refresh_token`): one statement on PostgreSQL, two elsewhere.

    On PostgreSQL, with ``successor``, the same statement mints the new pair, and when it is
    the first of its transaction it runs alone (:meth:`Prebuilt.first_alone`): a refresh is
    then one round trip in all, instead of BEGIN, the claim, the pair and COMMIT. A token it
    did not spend is found again, locked, in the transaction (its lock ended with the
    statement), and the rotation's rules go on from there."""
    found = {"digest": token_hash(token), "client_pk": client_pk}
    if connection.dialect.name == "postgresql":
        claim = {**found, "now": now, "proof_jkt": proof_jkt}
        if successor is not None:
            minted, parameters = _successor_parameters(successor, client_pk)
            row, alone = _CLAIM_AND_MINT.first_alone(connection, {**claim, **parameters})
            if row is None:
                return None
            if row[-1]:
                presented = _presented(row[:-1], spent=True)
                claimed = dataclasses.replace(presented.token, minted=minted)
                return dataclasses.replace(presented, token=claimed)
            if not alone:
                return _presented(row[:-1], spent=False)
        row = _CLAIM.first(connection, claim)
        return None if row is None else _presented(row[:-1], spent=bool(row[-1]))
    row = _LOCK.first(connection, found)
    if row is None:
        return None
    presented = _presented(row, spent=False)
    if presented.may_spend(now, proof_jkt):
        spend = {"token_id": presented.token.id, "now": now}
        if _SPEND.rowcount(connection, spend) == 1:
            return dataclasses.replace(presented, spent=True)
    return presented


_STATE = select(RefreshToken.used_at, RefreshToken.revoked_at, RefreshToken.expires_at).where(
    RefreshToken.id == bindparam("token_id")
)


def refresh_token_state(connection: Connection, token_id: int) -> RefreshTokenState:
    used_at, revoked_at, expires_at = connection.execute(_STATE, {"token_id": token_id}).one()
    return RefreshTokenState(used_at, revoked_at, expires_at)
