"""Settings and database for a command, built once per invocation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from sellergate.config import Settings, load_settings
from sellergate.errors import SellergateError
from sellergate.storage.database import Database
from sellergate.storage.migrate import current_revision, head_revision, upgrade


def open_database(settings: Settings | None = None) -> Database:
    """The configured database, migrated if it is the embedded SQLite file.

    A PostgreSQL database is never migrated behind the operator's back: a stale schema is an
    error that names the command to run.
    """
    settings = settings or load_settings()
    db = Database(settings)
    if db.engine.dialect.name == "sqlite":
        upgrade(db.engine)
    elif current_revision(db.engine) != head_revision(db.engine):
        db.dispose()
        raise SellergateError("the database schema is not up to date: run 'sellergate db upgrade'")
    return db


@contextmanager
def database_session(settings: Settings | None = None, *, write: bool = False) -> Iterator[Session]:
    """One transaction on the configured database for a command; the engine is closed after."""
    db = open_database(settings)
    try:
        with db.session(write=write) as session:
            yield session
    finally:
        db.dispose()
