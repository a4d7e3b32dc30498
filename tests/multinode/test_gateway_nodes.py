"""nginx with the shipped gateway configuration in front of two sellergate nodes that share
PostgreSQL and Redis: a revocation made through one node stops the next request that the other
node decides, and the rate-limit budget is one across both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.peers import EchoUpstream, running_nginx, running_upstream
from gateway.support import EXAMPLE_ROUTES, app_token
from multinode.nodes import Cluster, Node
from sellergate.accounts.sellers import create_seller
from sellergate.oauth.metadata import REVOKE_PATH
from sellergate.scopes import Scope


@pytest.fixture
def upstream() -> Iterator[EchoUpstream]:
    with running_upstream() as echo:
        yield echo


def gateway_decisions(node: Node) -> list[int]:
    return [r["status"] for r in node.events("request") if r["path"] == "/gateway/verify"]


def test_revocation_through_one_node_stops_the_next_request_through_the_other(
    cluster: Cluster, upstream: EchoUpstream, tmp_path: Path
) -> None:
    settings = cluster.settings
    with cluster.database() as db, db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", "correct-horse-battery")
        issued = app_token(session, settings, seller.id, [Scope.READ_ORDERS])
    a, b = cluster.start(
        "a",
        "b",
        SELLERGATE_GATEWAY_ROUTES=str(EXAMPLE_ROUTES),
        SELLERGATE_TRUSTED_PROXIES="127.0.0.1",
        SELLERGATE_RATE_LIMIT_TOKEN="12/minute",
    )
    nodes = [node.url.removeprefix("http://") for node in (a, b)]
    headers = {"Authorization": f"Bearer {issued.token}"}
    with running_nginx(tmp_path / "nginx", nodes, upstream.address) as nginx:
        allowed = [nginx.request("GET", "/v1/orders/1", headers) for _ in range(4)]
        assert [r.status for r in allowed] == [200] * 4
        # One budget across both nodes (Redis): 4 of 12 spent, whichever node answered.
        assert allowed[-1].getheader("RateLimit-Remaining") == "8"
        assert len(upstream.received) == 4
        assert gateway_decisions(a) and gateway_decisions(b)  # both nodes decided

        revoked = a.post(
            REVOKE_PATH, data={"token": issued.token}, auth=(issued.client_id, issued.secret)
        )
        assert revoked.status_code == 200
        before = len(gateway_decisions(b))
        refused = [nginx.request("GET", "/v1/orders/1", headers) for _ in range(4)]
    assert [r.status for r in refused] == [401] * 4
    assert all("revoked" in (r.getheader("WWW-Authenticate") or "") for r in refused)
    assert len(upstream.received) == 4
    # Node B decided some of those, and refused them.
    assert 401 in gateway_decisions(b)[before:]
