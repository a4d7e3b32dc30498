"""Prometheus metrics: request counts and latency per route group (recorded for each request by
the outermost middleware, :mod:`sellergate.web.requestlog`), and the coalesced lookups' batches.

With several worker processes (``serve --workers N``) each keeps its own counts, so ``/metrics``
answers for the whole node through prometheus_client's multiprocess mode: ``serve`` points
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's own variable, which the library reads) at a
fresh directory before the workers start, each worker writes its values there, and whichever
worker answers ``/metrics`` adds them all up.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

# Paths are grouped so that label values stay few whatever URLs clients send.
_GROUPS = (
    ("/seller-api/graphql", "graphql"),
    ("/seller-api/rest/oauth/token", "oauth_token"),
    ("/seller-api/rest/oauth/authorize", "oauth_authorize"),
    ("/seller-api/rest/oauth/revoke", "oauth_revoke"),
    ("/seller-api/rest/oauth/introspect", "oauth_introspect"),
    ("/secure-links/", "secure_links"),
    ("/dashboard", "dashboard"),
    ("/healthz", "health"),
    ("/readyz", "health"),
    ("/metrics", "metrics"),
    ("/gateway/verify", "gateway"),
)


def route_group(path: str) -> str:
    for prefix, group in _GROUPS:
        if path.startswith(prefix):
            return group
    return "other"


MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_VARIABLE, "")
        self.requests = Counter(
            "sellergate_http_requests",
            "HTTP requests by route group and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sellergate_http_request_seconds",
            "HTTP request latency by route group",
            ["route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        # Requests served by each coalesced lookup's one statement (web.lookups).
        self.lookup_batch = Histogram(
            "sellergate_lookup_batch_size",
            "Requests served by one coalesced database lookup, by lookup",
            ["lookup"],
            registry=self.registry,
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
        )

        # Each route group's series (and each status's count), found by its labels once: the
        # groups and the statuses are few, and every request records one.
        self._counts: dict[tuple[str, int], Any] = {}
        self._latencies: dict[str, Any] = {}

    def request_done(self, path: str, status: int, seconds: float) -> None:
        group = route_group(path)
        count = self._counts.get((group, status))
        if count is None:
            count = self._counts[group, status] = self.requests.labels(group, str(status))
        latency = self._latencies.get(group)
        if latency is None:
            latency = self._latencies[group] = self.latency.labels(group)
        count.inc()
        latency.observe(seconds)

    def render(self) -> tuple[bytes, str]:
        if not self.multiprocess_dir:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return generate_latest(combined), CONTENT_TYPE_LATEST
