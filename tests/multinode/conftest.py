"""Fixtures that start real ``sellergate serve`` nodes (:class:`nodes.Cluster`).

``cluster``       a fresh PostgreSQL database (migrated) and a Redis database of the test's own:
                  several nodes that share them.
``node_cluster``  the test's database on either backend (the ``database`` fixture), no Redis:
                  for what one node does on its own (shutdown, metrics, logs).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from multinode.nodes import Cluster
from pgserver import PostgresServer
from sellergate.storage.migrate import upgrade


def _cluster(database_url: str, redis_url: str, directory: Path) -> Cluster:
    shared = Cluster(
        env={
            "SELLERGATE_DATABASE_URL": database_url,
            "SELLERGATE_DATA_DIR": str(directory / "data"),
            "SELLERGATE_PUBLIC_URL": "http://127.0.0.1:8000",
            # Sessions signed on one node must verify on the others.
            "SELLERGATE_SECRET_KEY": secrets.token_urlsafe(48),
            "SELLERGATE_LOG_LEVEL": "info",
        },
        directory=directory,
    )
    if redis_url:
        shared.env["SELLERGATE_REDIS_URL"] = redis_url
    with shared.database() as db:
        upgrade(db.engine)
    return shared


@pytest.fixture
def node_cluster(database_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Nodes on the test's database (both backends), without Redis: for one node's behaviour."""
    shared = _cluster(database_url, "", tmp_path)
    try:
        yield shared
    finally:
        shared.stop_all()


@pytest.fixture
def cluster(pg_server: PostgresServer, redis_url: str, tmp_path: Path) -> Iterator[Cluster]:
    """Nodes on a PostgreSQL database and a Redis of the test's own."""
    name, database_url = pg_server.create_database()
    shared = _cluster(database_url, redis_url, tmp_path)
    try:
        yield shared
    finally:
        shared.stop_all()
        pg_server.drop_database(name)
