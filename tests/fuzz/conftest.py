"""Fixtures for the fuzzing suite: the real app in process, with a seller, a shop and an app.

``target`` is a :class:`fuzz.support.Target`: the in-process client, a valid bearer token, a
registered confidential OAuth app, and the database to snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.support import make_shop
from fuzz.support import Target
from inprocess import InProcessClient
from live import Account
from oauth.conftest import Register, register
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.web.app import create_app

__all__ = ["register", "target"]


@pytest.fixture
def target(
    settings: Settings, db: Database, seller: Account, register: Register
) -> Iterator[Target]:
    make_shop(db, seller.id)
    app = register()
    client = InProcessClient(create_app(settings, db))
    try:
        yield Target(client, db, seller.token, app.client_id, app.secret or "")
    finally:
        client.close()
