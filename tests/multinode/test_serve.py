"""One ``sellergate serve`` node on either database: graceful shutdown, metrics across its
workers, structured and redacted logs."""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import select

from multinode.nodes import Cluster, Node
from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.sellers import create_seller
from sellergate.scopes import Scope
from sellergate.storage.models import AccessToken

REQUESTS = re.compile(
    r'^sellergate_http_requests_total\{route="health",status="200"\} (\S+)$', re.M
)


def seller_token(cluster: Cluster) -> str:
    with cluster.database() as db, db.session(write=True) as session:
        seller = create_seller(session, "alice", "alice@example.com", "correct-horse-battery")
        return mint_access_token(
            session.connection(),
            seller_id=seller.id,
            scopes=[Scope.FULL_ACCESS],
            staging=True,
            expires_at=None,
        ).token


def last_used(cluster: Cluster) -> list[object]:
    with cluster.database() as db, db.session() as session:
        return list(session.scalars(select(AccessToken.last_used_at)))


def test_sigterm_finishes_in_flight_requests_and_flushes_last_used(
    node_cluster: Cluster,
) -> None:
    token = seller_token(node_cluster)
    (node,) = node_cluster.start("a", SELLERGATE_LAST_USED_FLUSH_SECONDS="3600")
    body = json.dumps({"query": "{ me { username } }"}).encode()
    head = (
        f"POST /seller-api/graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    port = int(node.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        # A request in flight: the headers and half the body are in when the signal comes.
        conn.sendall(head + body[:10])
        time.sleep(0.5)
        node.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert node.process.poll() is None  # still serving the request in flight
        try:
            httpx.get(node.url + "/healthz", timeout=2)
            accepting = True
        except httpx.TransportError:
            accepting = False
        assert not accepting  # but no longer accepting connections
        conn.sendall(body[10:])
        answer = b""
        while b'"alice"' not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"username":"alice"' in answer.replace(b" ", b"")
    node.process.wait(timeout=30)
    assert node.events("flush")[0]["tokens"] == 1
    assert last_used(node_cluster) != [None]


def test_sigterm_exits_cleanly_and_removes_the_metrics_directory(
    node_cluster: Cluster, tmp_path: Path
) -> None:
    """Regression: with one worker, SIGTERM ended the process with -15 and left its
    ``sellergate-metrics-*`` directory behind (with two workers it exited 0 and cleaned up)."""
    for workers in (1, 2):
        scratch = tmp_path / f"workers-{workers}"
        scratch.mkdir()
        (node,) = node_cluster.start(f"w{workers}", workers=workers, TMPDIR=str(scratch))
        assert list(scratch.glob("sellergate-metrics-*"))
        assert node.stop() == 0, node.log_text()[-2000:]
        assert not list(scratch.glob("sellergate-metrics-*"))


def scrape(node: Node) -> float:
    match = REQUESTS.search(node.get("/metrics").text)
    return float(match.group(1)) if match else 0.0


def test_metrics_add_up_every_worker_of_a_node(node_cluster: Cluster, tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    (node,) = node_cluster.start("a", workers=2, PROMETHEUS_MULTIPROC_DIR=str(directory))
    before = scrape(node)

    def healthz(_: int) -> int:
        # A connection each, so that the kernel spreads them over both workers.
        with httpx.Client(timeout=30) as client:
            return client.get(node.url + "/healthz").status_code

    def writers() -> set[str]:
        return {path.stem.rsplit("_", 1)[1] for path in directory.glob("counter_*.db")}

    sent = 0
    with ThreadPoolExecutor(8) as pool:
        # The kernel decides which worker accepts a connection: send until both have served.
        while sent < 2000 and (sent == 0 or len(writers()) < 2):
            assert set(pool.map(healthz, range(40))) == {200}
            sent += 40
    assert len(writers()) == 2
    # Whichever worker answers the scrape, it counts every worker's requests.
    assert {scrape(node) - before for _ in range(10)} == {float(sent)}


def test_logs_are_json_with_request_ids_and_no_secrets(node_cluster: Cluster) -> None:
    token = seller_token(node_cluster)
    (node,) = node_cluster.start("a")
    link = "Zq8v3Kd0PLsecretlinkvalue12345"
    answered = node.api(token)
    generated = answered.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{11,}", generated)
    given = node.post(
        "/seller-api/graphql",
        json={"query": "{ me { username } }"},
        headers={"Authorization": f"Bearer {token}", "X-Request-ID": "lb-1234"},
    )
    assert given.headers["x-request-id"] == "lb-1234"
    node.get(f"/secure-links/{link}")
    node.get("/seller-api/rest/oauth/authorize", params={"code": "should-not-appear"})
    node.stop()
    text = node.log_text()
    assert token not in text
    assert token[len("wn_access_tk_test_") :] not in text
    assert link not in text
    assert "should-not-appear" not in text
    requests = node.events("request")
    by_id = {record["request_id"]: record for record in requests}
    assert by_id["lb-1234"]["path"] == "/seller-api/graphql"
    assert by_id["lb-1234"]["status"] == 200
    assert by_id[generated]["method"] == "POST"
    assert any(r["path"] == "/secure-links/[redacted]" for r in requests)
    assert all(isinstance(r["duration_ms"], float) for r in requests)
