"""Connected apps: the apps a seller has authorized, as the dashboard shows them.

A seller may authorize one app several times (each "Connect" makes a new grant); the dashboard
shows one row per app with the union of its live grants' scopes. A grant is usable exactly
while it is not revoked and its app is not disabled (every token check joins both rows), so
that is what the list shows. Disconnecting revokes every grant of that app for that seller
through :func:`sellergate.accounts.families.revoke_families`, and sweeps grants revoked before
too, so the seller always has a way to revoke whatever might be left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from sellergate.accounts.families import revoke_families
from sellergate.errors import NotFound
from sellergate.oauth.records import Revocation, RevocationReason
from sellergate.scopes import Scope, parse_scopes
from sellergate.storage.models import AccessToken, Client, Grant
from sellergate.storage.types import utcnow


@dataclass(frozen=True, slots=True)
class ConnectedApp:
    client_id: str
    name: str
    registered_by: str
    scopes: list[Scope]
    authorized_at: datetime  # the latest authorization
    first_authorized_at: datetime
    last_used_at: datetime | None
    # It holds live access tokens bound to its key (DPoP, RFC 9449): a copy is useless alone.
    bound: bool = False


def list_connected_apps(session: Session, seller_id: int) -> list[ConnectedApp]:
    """Apps with at least one live grant for ``seller_id``, most recently authorized first."""
    grants = session.execute(
        select(
            Grant.id,
            Grant.scopes,
            Grant.created_at,
            Client.client_id,
            Client.name,
            Client.registered_by,
        )
        .join(Client, Client.id == Grant.client_id)
        .where(
            Grant.seller_id == seller_id,
            Grant.revoked_at.is_(None),
            Client.disabled_at.is_(None),
        )
        .order_by(Grant.id)
    ).all()
    if not grants:
        return []
    live_bound = (
        AccessToken.jkt.is_not(None)
        & AccessToken.revoked_at.is_(None)
        & (AccessToken.expires_at > utcnow())
    )
    usage = session.execute(
        select(
            AccessToken.grant_id,
            func.max(AccessToken.last_used_at),
            func.sum(case((live_bound, 1), else_=0)),
        )
        .where(AccessToken.grant_id.in_([row.id for row in grants]))
        .group_by(AccessToken.grant_id)
    ).all()
    last_used: dict[int | None, datetime | None] = {grant_id: used for grant_id, used, _ in usage}
    bound = {grant_id for grant_id, _, count in usage if count}
    apps: dict[str, ConnectedApp] = {}
    for row in grants:
        scopes = set(parse_scopes(row.scopes))
        used = last_used.get(row.id)
        seen = apps.get(row.client_id)
        if seen is not None:
            scopes |= set(seen.scopes)
            candidates = [t for t in (seen.last_used_at, used) if t is not None]
            used = max(candidates) if candidates else None
        apps[row.client_id] = ConnectedApp(
            client_id=row.client_id,
            name=row.name,
            registered_by=row.registered_by,
            scopes=[scope for scope in Scope if scope in scopes],
            authorized_at=row.created_at,
            first_authorized_at=seen.first_authorized_at if seen else row.created_at,
            last_used_at=used,
            bound=row.id in bound or (seen is not None and seen.bound),
        )
    return sorted(apps.values(), key=lambda app: app.authorized_at, reverse=True)


def disconnect_app(session: Session, seller_id: int, client_id: str) -> Revocation:
    """Revoke every grant of the app ``client_id`` for ``seller_id`` and all their tokens.

    :class:`NotFound` if there was nothing left to revoke (no grant, or all revoked and swept).
    """
    client_pk = session.scalars(select(Client.id).where(Client.client_id == client_id)).first()
    if client_pk is None:
        raise NotFound("this app is not connected to your account")
    revocation = revoke_families(
        session,
        (Grant.seller_id == seller_id) & (Grant.client_id == client_pk),
        RevocationReason.DISCONNECTED,
    )
    if not revocation.changed:
        raise NotFound("this app is not connected to your account")
    return revocation
