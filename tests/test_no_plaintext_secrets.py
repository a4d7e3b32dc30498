"""No token, secret or password is stored in plaintext or written to the logs."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import String, Text, select

from live import Account
from sellergate.accounts.personal_tokens import issue_token, rotate_token
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.models import Base


def dump_text(db: Database) -> str:
    """Every text and binary value in every table, as one string."""
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("latin-1"))
                    elif value is not None:
                        parts.append(str(value))
    assert any(isinstance(c.type, String | Text) for c in Base.metadata.tables["sellers"].c)
    return "\n".join(parts)


def test_tokens_links_and_passwords_are_never_stored_or_logged(
    http: httpx.Client,
    db: Database,
    settings: Settings,
    seller: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    # With statement logging on, every SQL parameter the server sends is in the log too.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    with db.session(write=True) as session:
        first = issue_token(session, settings, seller.username, label="one")
        second = rotate_token(session, settings, first.token_id)
    secrets = [seller.password, seller.token, first.link.link, second.link.link]
    for issued in (first, second):
        reveal = http.post(
            f"/secure-links/{issued.link.link}/reveal", headers={"Accept": "application/json"}
        )
        secrets.append(reveal.json()["secret"])
    http.post(
        "/seller-api/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {secrets[-1]}"},
    )
    stored = dump_text(db)
    # Everything the server side logged; the test's own HTTP client (httpx) logs URLs it sent.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    assert logged
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
