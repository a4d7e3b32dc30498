"""Request metrics: each request counted once under its route group and status, and timed under
its group, by the outermost middleware (with the request id and the access log)."""

from __future__ import annotations

import re

import httpx

from live import Account


def _samples(text: str) -> dict[str, float]:
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(r"(sellergate_http_request\S+) (\S+)", line)
        if match:
            found[match[1]] = float(match[2])
    return found


def test_each_request_is_counted_by_group_and_status_and_timed(
    http: httpx.Client, seller: Account
) -> None:
    before = _samples(http.get("/metrics").text)
    me = {"query": "{ me { username } }"}
    for _ in range(3):
        http.post(
            "/seller-api/graphql", json=me, headers={"Authorization": f"Bearer {seller.token}"}
        )
    for _ in range(2):
        assert http.post("/seller-api/graphql", json=me).status_code == 401
    assert http.get("/healthz").status_code == 200
    after = _samples(http.get("/metrics").text)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert grew('sellergate_http_requests_total{route="graphql",status="200"}') == 3
    assert grew('sellergate_http_requests_total{route="graphql",status="401"}') == 2
    assert grew('sellergate_http_requests_total{route="health",status="200"}') == 1
    # The metrics page counts its own request once it has answered.
    assert grew('sellergate_http_requests_total{route="metrics",status="200"}') == 1
    assert grew('sellergate_http_request_seconds_count{route="graphql"}') == 5
    assert grew('sellergate_http_request_seconds_count{route="health"}') == 1
    assert 0 < grew('sellergate_http_request_seconds_sum{route="graphql"}') < 60
