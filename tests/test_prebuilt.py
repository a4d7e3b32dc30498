"""Prebuilt selects (``storage.prebuilt``): the same rows as through SQLAlchemy, seen by the
engine's statement listeners, and the driver's errors raised as SQLAlchemy's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import ExceptionContext, bindparam, column, event, select, table, update
from sqlalchemy.exc import DBAPIError

from sellergate.accounts.access_tokens import mint_access_token
from sellergate.accounts.sellers import create_seller
from sellergate.scopes import Scope
from sellergate.storage.database import Database
from sellergate.storage.models import AccessToken, Seller
from sellergate.storage.prebuilt import Prebuilt
from sellergate.storage.types import utcnow
from sellergate.tokens.hashing import token_hash

LOOKUP = select(
    AccessToken.id,
    AccessToken.expires_at,
    AccessToken.revoked_at,
    AccessToken.revoked_at.is_(None),
    Seller.username,
).join(Seller, Seller.id == AccessToken.seller_id)
BY_HASH = Prebuilt(LOOKUP.where(AccessToken.token_hash == bindparam("digest")))


def minted(db: Database, usernames: Sequence[str]) -> list[str]:
    """An access token of a seller made for each of ``usernames``, in order."""
    with db.session(write=True) as session:
        tokens = []
        for username in usernames:
            seller = create_seller(session, username, f"{username}@example.com", None)
            token = mint_access_token(
                session.connection(),
                seller_id=seller.id,
                scopes=[Scope.READ_ORDERS],
                staging=True,
                expires_at=utcnow() + timedelta(hours=1),
            ).token
            tokens.append(token)
        return tokens


def _token(db: Database) -> str:
    return minted(db, ["alice"])[0]


def test_rows_are_converted_as_sqlalchemy_converts_them(db: Database) -> None:
    digest = token_hash(_token(db))
    with db.engine.connect() as connection:
        expected = connection.execute(LOOKUP.where(AccessToken.token_hash == digest)).one()
        row = BY_HASH.first(connection, {"digest": digest})
        missing = BY_HASH.first(connection, {"digest": "0" * 64})
    assert row == tuple(expected)
    token_id, expires_at, revoked_at, live, username = row
    assert isinstance(token_id, int) and username == "alice"
    assert expires_at is not None and expires_at.tzinfo is not None  # UTCDateTime's conversion
    assert revoked_at is None and live is True  # a boolean, not SQLite's 1
    assert missing is None


def test_statement_listeners_see_it(db: Database) -> None:
    digest = token_hash(_token(db))
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.engine.connect() as connection:
            row = BY_HASH.first(connection, {"digest": digest})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert row is not None
    # SQLite's BEGIN aside (an event of the engine's own, see storage.database): one SELECT.
    selects = [s for s in seen if not s.startswith("BEGIN")]
    assert len(selects) == 1 and selects[0].lstrip().upper().startswith("SELECT")


def test_driver_errors_are_raised_as_sqlalchemy_errors(db: Database) -> None:
    """What the web layer turns into a 503 (or a 500 with a reference) is SQLAlchemy's
    exception, never the driver's own, and the engine's error handling sees it."""
    missing = Prebuilt(select(column("x")).select_from(table("no_such_table")))
    handled: list[BaseException] = []

    def on_error(context: ExceptionContext) -> None:
        handled.append(context.original_exception)

    event.listen(db.engine, "handle_error", on_error)
    try:
        with db.engine.connect() as connection, pytest.raises(DBAPIError) as raised:
            missing.first(connection, {})
    finally:
        event.remove(db.engine, "handle_error", on_error)
    assert handled == [raised.value.orig]


def test_the_private_error_hook_prebuilt_relies_on_is_pinned() -> None:
    """:class:`Prebuilt` hands a driver error to ``Connection._handle_dbapi_exception``, a
    private SQLAlchemy method (there is no public way to raise a DBAPI error through the
    engine's error handling without executing the statement again). The dependency is pinned
    below SQLAlchemy 2.2 in pyproject.toml; this test fails when an upgrade changes the method,
    and then storage/prebuilt.py must be re-read before the pin moves."""
    import inspect

    import sqlalchemy
    from sqlalchemy import Connection

    major, minor = (int(part) for part in sqlalchemy.__version__.split(".")[:2])
    assert (major, minor) in {(2, 0), (2, 1)}
    parameters = list(inspect.signature(Connection._handle_dbapi_exception).parameters)
    assert parameters[:6] == ["self", "e", "statement", "parameters", "cursor", "context"]


@pytest.mark.databases("postgresql")
def test_a_connection_lost_under_a_prebuilt_select_is_invalidated_and_replaced(
    db: Database,
) -> None:
    """The private hook's behaviour that matters: a lost connection is a fault SQLAlchemy
    invalidates (the web layer answers 503), and the pool's next connection works."""
    from sqlalchemy import text

    from sellergate.storage.faults import is_fault

    digest = token_hash(_token(db))
    with db.engine.connect() as connection:
        pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        connection.commit()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as raised:
            BY_HASH.first(connection, {"digest": digest})
    assert is_fault(raised.value) and raised.value.connection_invalidated
    with db.engine.connect() as connection:
        assert BY_HASH.first(connection, {"digest": digest}) is not None


REVOKE = Prebuilt(
    update(AccessToken)
    .where(AccessToken.token_hash == bindparam("digest"), AccessToken.revoked_at.is_(None))
    .values(revoked_at=bindparam("now"))
)
REVOKE_RETURNING = Prebuilt(
    update(AccessToken)
    .where(AccessToken.token_hash == bindparam("digest"))
    .values(last_used_at=bindparam("now"))
    .returning(AccessToken.id, AccessToken.last_used_at)
)


@pytest.mark.parametrize("listening", [False, True])
def test_writes_count_rows_and_convert_what_they_return(db: Database, listening: bool) -> None:
    """An UPDATE answers how many rows it changed, on the driver's cursor and through
    SQLAlchemy alike (when a listener makes it go that way); RETURNING is converted."""
    digest = token_hash(_token(db))
    now = utcnow()
    if listening:
        event.listen(db.engine, "before_cursor_execute", _ignore)
    try:
        with db.engine.begin() as connection:
            changed = REVOKE.rowcount(connection, {"digest": digest, "now": now})
            again = REVOKE.rowcount(connection, {"digest": digest, "now": now})
            returned = REVOKE_RETURNING.first(connection, {"digest": digest, "now": now})
    finally:
        if listening:
            event.remove(db.engine, "before_cursor_execute", _ignore)
    assert (changed, again) == (1, 0)
    assert returned is not None and isinstance(returned[0], int)
    assert returned[1] == now  # an aware datetime back, as UTCDateTime converts it
    with db.session() as session:
        row = session.query(AccessToken).one()
        assert row.revoked_at == now


def _ignore(*_: object) -> None:
    """A statement listener that does nothing but make Prebuilt go through SQLAlchemy."""
