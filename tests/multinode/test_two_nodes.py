"""Two real nodes on one PostgreSQL and one Redis: what one node does, the other sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from multinode.nodes import Cluster, wait_for
from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.clients import register_client
from sellergate.accounts.families import create_grant
from sellergate.accounts.secure_links import reveal_link
from sellergate.accounts.sellers import create_seller
from sellergate.oauth.metadata import REVOKE_PATH
from sellergate.scopes import Scope
from sellergate.storage.models import AuthorizationCode, Client
from sellergate.storage.types import utcnow


@dataclass
class Seeded:
    seller_id: int
    personal_token: str
    app_token: str
    client_id: str
    secret: str


def seed(cluster: Cluster) -> Seeded:
    settings = cluster.settings
    with cluster.database() as db, db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", "correct-horse-battery")
        registered = register_client(
            session,
            settings,
            name="Acme",
            redirect_uris=["http://127.0.0.1:9/cb"],
            scopes=["read:orders"],
        )
        assert registered.link is not None
        secret = reveal_link(session, registered.link.link).secret
        client_pk = session.scalars(
            select(Client.id).where(Client.client_id == registered.client_id)
        ).one()
        grant = create_grant(
            session, seller_id=seller.id, client_pk=client_pk, scopes="read:orders"
        )
        app_token = mint_access_token(
            session.connection(),
            seller_id=seller.id,
            scopes=[Scope.READ_ORDERS],
            staging=True,
            expires_at=utcnow() + timedelta(hours=1),
            client_id=client_pk,
            grant_id=grant,
        ).token
        personal = mint_access_token(
            session.connection(),
            seller_id=seller.id,
            scopes=[Scope.FULL_ACCESS],
            staging=True,
            expires_at=None,
        ).token
    return Seeded(seller.id, personal, app_token, registered.client_id, secret)


def test_a_token_revoked_through_one_node_is_refused_by_the_other(cluster: Cluster) -> None:
    seeded = seed(cluster)
    a, b = cluster.start("a", "b")
    assert b.api(seeded.app_token).status_code == 200
    revoked = a.post(
        REVOKE_PATH, data={"token": seeded.app_token}, auth=(seeded.client_id, seeded.secret)
    )
    assert revoked.status_code == 200
    # No node caches token lookups: the very next request anywhere sees the revocation.
    refused = b.api(seeded.app_token)
    assert refused.status_code == 401
    assert "revoked" in refused.headers["www-authenticate"]
    assert b.api(seeded.personal_token).status_code == 200


def test_a_rate_limit_budget_is_shared(cluster: Cluster) -> None:
    seeded = seed(cluster)
    a, b = cluster.start("a", "b", SELLERGATE_RATE_LIMIT_TOKEN="6/minute")
    answers = [node.api(seeded.personal_token) for node in (a, b, a, b, a, b)]
    assert [r.status_code for r in answers] == [200] * 6
    assert [int(r.headers["ratelimit-remaining"]) for r in answers] == [5, 4, 3, 2, 1, 0]
    for node in (a, b):
        refused = node.api(seeded.personal_token)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_prune_runs_on_one_node_at_a_time(cluster: Cluster) -> None:
    seeded = seed(cluster)
    settings = cluster.settings
    with cluster.database() as db, db.session(write=True) as session:
        session.add(
            AuthorizationCode(
                code_hash="0" * 64,
                client_id=session.scalars(select(Client.id)).one(),
                seller_id=seeded.seller_id,
                redirect_uri="http://127.0.0.1:9/cb",
                scopes="",
                expires_at=utcnow() - settings.prune_retention - timedelta(days=1),
            )
        )
    a, b = cluster.start("a", "b", SELLERGATE_PRUNE_INTERVAL="1s")
    assert wait_for(lambda: a.events("prune") or b.events("prune"))
    first, second = (a, b) if a.events("prune") else (b, a)
    assert wait_for(lambda: len(first.events("prune")) >= 3)
    assert second.events("prune") == []
    removed = sum(event["tables"]["authorization_codes"] for event in first.events("prune"))
    assert removed == 1
    with cluster.database() as db, db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0
    # The leader stops (gracefully: it shuts down its jobs); the other node takes over.
    first.stop()
    assert first.events("flush")
    assert wait_for(lambda: second.events("prune"))
