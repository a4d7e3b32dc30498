"""No secret, code or token of the OAuth flows is stored in plaintext or written to a log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from oauth.conftest import Flow
from sellergate.oauth.metadata import INTROSPECT_PATH, REVOKE_PATH
from sellergate.storage.database import Database
from sellergate.storage.models import Base


def dump_text(db: Database) -> str:
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                parts.extend(
                    value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for value in row
                    if value is not None
                )
    return "\n".join(parts)


def test_oauth_secrets_never_stored_or_logged(
    flow: Flow, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = flow.code()
    verifier = flow.verifier
    first = flow.exchange(code).json()
    second = flow.refresh(first["refresh_token"]).json()
    flow.post(INTROSPECT_PATH, {"token": second["access_token"]})
    flow.post(REVOKE_PATH, {"token": second["refresh_token"]})
    flow.exchange(code)  # reuse
    assert flow.app.secret is not None
    secrets = [
        flow.app.secret,
        code,
        verifier,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
        flow.seller.password,
    ]
    stored = dump_text(db)
    # The test's own HTTP client (httpx, httpcore) logs the responses it receives; what the
    # server side logs is what matters.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(("httpx", "httpcore"))
    )
    for secret in secrets:
        assert secret not in stored
        assert secret not in logged
