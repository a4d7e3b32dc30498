"""What every fuzzing test checks, and the settings that bound it.

``SELLERGATE_FUZZ=long`` (``make fuzz``) runs many more examples, randomly; the default run
(``make test``) is derandomized and small, so it is the same on every CI run.
``SELLERGATE_FUZZ_EXAMPLES=N`` sets the number of examples per test either way.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field

import httpx
from hypothesis import HealthCheck, settings
from sqlalchemy import MetaData, select

from sellergate.storage.database import Database

LONG = os.environ.get("SELLERGATE_FUZZ") == "long"

FUZZ = settings(
    max_examples=int(os.environ.get("SELLERGATE_FUZZ_EXAMPLES", 1_000 if LONG else 100)),
    derandomize=not LONG,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# What internal text looks like: stacks, driver and ORM names, SQL, Python's own messages.
INTERNAL = re.compile(
    r"Traceback|File \"|sqlalchemy|psycopg|sqlite3|\bSELECT\b.*\bFROM\b|INSERT INTO|"
    r"UPDATE \w+ SET|NoneType|object has no attribute|KeyError|TypeError|ValueError"
)


@dataclass
class Target:
    client: httpx.Client
    db: Database
    token: str
    client_id: str
    client_secret: str
    tables: MetaData = field(default_factory=MetaData)

    def __post_init__(self) -> None:
        self.tables.reflect(self.db.engine)

    def snapshot(self, *, ignore: frozenset[str] = frozenset()) -> str:
        """A digest of every row of every table (but ``ignore``): equal digests, nothing
        changed."""
        digest = hashlib.sha256()
        with self.db.engine.connect() as conn:
            for table in self.tables.sorted_tables:
                if table.name in ignore:
                    continue
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                    digest.update(repr((table.name, tuple(row))).encode())
        return digest.hexdigest()


def check(response: httpx.Response) -> None:
    """No 5xx and nothing internal in the body, whatever was asked; every refusal in the shape
    its endpoint promises."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert not INTERNAL.search(response.text), response.text[:500]
    if response.content and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        errors = body.get("errors") if isinstance(body, dict) else None
        for error in errors or ():
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL", error  # a masked bug is still a bug
    if response.status_code >= 400:
        check_error_shape(response)


def check_error_shape(response: httpx.Response) -> None:
    """The one catalogue's shapes (docs/api.md, docs/oauth.md): GraphQL errors with a code at
    the Seller API, ``error`` and ``error_description`` at every other JSON endpoint, a page for
    people; never a refusal without a body or with ``Cache-Control`` that lets it be stored."""
    path = response.request.url.path
    kind = response.headers.get("content-type", "")
    assert response.headers.get("cache-control", "").startswith("no-store") or kind.startswith(
        "text/html"
    ), (path, response.status_code, response.headers)
    if kind.startswith("text/html"):
        assert response.text.strip(), (path, response.status_code)
        return
    assert kind.startswith("application/json"), (path, response.status_code, kind)
    body = response.json()
    if path.startswith("/seller-api/graphql"):
        (error,) = body["errors"]
        assert isinstance(error["message"], str) and error["message"]
        assert isinstance(error["extensions"]["code"], str), error
    else:
        assert isinstance(body["error"], str) and body["error"], body
        assert isinstance(body["error_description"], str), body
