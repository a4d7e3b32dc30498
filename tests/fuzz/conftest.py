"""Fixtures for the fuzzing suite: the real app in process, with a seller, a shop and an app.

``target`` is a :class:`fuzz.support.Target`: a client of the in-process server, a valid bearer
token, a registered confidential OAuth app, and the database to snapshot.
"""

from __future__ import annotations

import httpx
import pytest

from api.support import make_shop
from fuzz.support import Target
from live import Account
from oauth.conftest import Register, browser, register
from sellergate.storage.database import Database

__all__ = ["browser", "register", "target"]


@pytest.fixture
def target(http: httpx.Client, db: Database, seller: Account, register: Register) -> Target:
    make_shop(db, seller.id)
    app = register()
    return Target(http, db, seller.token, app.client_id, app.secret or "")
