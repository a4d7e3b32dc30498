"""Two ``sellergate serve`` nodes sharing PostgreSQL and Redis: a DPoP proof accepted by one is
a replay on the other (the replay cache lives in Redis), and a server nonce handed out by one is
accepted by the other (nonces derive from the shared secret key)."""

from __future__ import annotations

from sqlalchemy import func, select

from dpopkeys import DPoPKey
from gateway.support import app_token
from multinode.nodes import Cluster, Node
from sellergate.accounts.sellers import create_seller
from sellergate.scopes import Scope
from sellergate.storage.models import SpentDPoPProof

API = "http://127.0.0.1:8000/seller-api/graphql"  # the cluster's public URL


def call(node: Node, token: str, proof: str) -> tuple[int, dict[str, str]]:
    response = node.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"DPoP {token}", "DPoP": proof},
    )
    return response.status_code, dict(response.headers)


def test_replays_and_nonces_across_nodes(cluster: Cluster) -> None:
    key = DPoPKey()
    with cluster.database() as db, db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", "correct-horse-battery")
        issued = app_token(session, cluster.settings, seller.id, [Scope.READ_ORDERS], jkt=key.jkt)
    a, b = cluster.start("a", "b", SELLERGATE_DPOP_NONCE="true")
    token = issued.token

    status, headers = call(a, token, key.proof("POST", API, token))
    assert status == 401
    assert headers["www-authenticate"].startswith('DPoP error="use_dpop_nonce"')
    nonce = headers["dpop-nonce"]

    proof = key.proof("POST", API, token, nonce=nonce)
    assert call(b, token, proof)[0] == 200  # a's nonce, accepted by b
    status, headers = call(a, token, proof)  # b's accepted proof, replayed to a
    assert status == 401
    assert "already used" in headers["www-authenticate"]
    assert call(a, token, key.proof("POST", API, token, nonce=nonce))[0] == 200
    with cluster.database() as db, db.session() as session:
        # Remembered in Redis, not in the database.
        assert session.scalar(select(func.count()).select_from(SpentDPoPProof)) == 0
