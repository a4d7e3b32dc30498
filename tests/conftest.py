"""Shared fixtures: every test that touches the database runs on SQLite and on PostgreSQL.

Fixtures
--------
``database``      the backend name, ``"sqlite"`` or ``"postgresql"``; any test that uses it
                  (directly or through the fixtures below) runs once per backend (test ids
                  ``[sqlite]`` and ``[postgresql]``).
``database_url``  a database of the test's own on that backend: empty (dropped after the test),
                  or, when the test uses ``db``, at the migrations' head with every table empty
                  (SQLite: a copy of a file migrated once per session; PostgreSQL: a copy of a
                  database migrated once per session, emptied and reused by the next test).
``make_settings`` ``make_settings(**overrides)`` builds ``Settings`` for that database, with
                  ``data_dir`` in the test's ``tmp_path``; overrides go to ``load_settings``.
``settings``      ``make_settings()``: the database is empty (no migrations applied).
``db``            a ``Database`` on ``settings`` at the migrations' head; disposed afterwards.
``pg_server``     the session's PostgreSQL server (started lazily, on first use).
``redis_server``  the session's Redis server (started lazily); ``redis_url`` an empty database
                  number on it for one test.

Seller passwords are hashed with Argon2id at its smallest cost in this process (see
``_cheap_password_hashing``): still hashed and verified, in microseconds instead of ~100 ms.

Choosing backends: ``--databases=sqlite`` (or ``SELLERGATE_TEST_DATABASES=sqlite``) runs only the
SQLite variants, for quick local runs; the default is both. A single test can be limited with
``@pytest.mark.databases("postgresql")``. ``SELLERGATE_TEST_DATABASE_URL=postgresql://...`` uses an
existing server instead of starting one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from pgserver import MigratedPool, PostgresServer, running, start
from redisserver import RedisServer, RedisUnavailable
from redisserver import start as start_redis
from sellergate.accounts import passwords
from sellergate.config import Settings, load_settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import upgrade

pytest_plugins = ["live", "oidcprovider"]

BACKENDS = ("sqlite", "postgresql")
PUBLIC_URL = "http://127.0.0.1:8000"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--databases",
        default=os.environ.get("SELLERGATE_TEST_DATABASES", ",".join(BACKENDS)),
        help="comma-separated database backends to run database tests on "
        "(sqlite, postgresql; default both, or $SELLERGATE_TEST_DATABASES)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "databases(*names): run this test only on the named database backends"
    )
    chosen = [name.strip() for name in config.getoption("--databases").split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(BACKENDS))
    if unknown or not chosen:
        raise pytest.UsageError(
            f"--databases / SELLERGATE_TEST_DATABASES: unknown backend {', '.join(unknown)!r}; "
            f"choose from {', '.join(BACKENDS)}"
        )
    config.stash[_BACKENDS_KEY] = [name for name in BACKENDS if name in chosen]


_BACKENDS_KEY = pytest.StashKey[list[str]]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
        if "database" in (
            [n.strip() for n in names.split(",")] if isinstance(names, str) else names
        ):
            return  # the test chose its backends itself
    backends = metafunc.config.stash[_BACKENDS_KEY]
    for mark in metafunc.definition.iter_markers("databases"):
        allowed = set(mark.args)
        if allowed - set(BACKENDS):
            raise pytest.UsageError(f"@pytest.mark.databases: unknown backend in {mark.args!r}")
        backends = [name for name in backends if name in allowed]
    if backends:
        metafunc.parametrize("database", backends, ids=backends, indirect=True)
    else:
        metafunc.parametrize(
            "database",
            [pytest.param(None, marks=pytest.mark.skip(reason="backend not selected"))],
            ids=["no-backend"],
            indirect=True,
        )


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep the developer's own ``SELLERGATE_*`` settings and data directory out of the tests."""
    for name in list(os.environ):
        if name.startswith("SELLERGATE_") and not name.startswith("SELLERGATE_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.getbasetemp() / "xdg-data"))


@pytest.fixture(scope="session")
def production_hasher() -> PasswordHasher:
    """The Argon2 hasher the app uses outside the tests."""
    return passwords._hasher


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing(production_hasher: PasswordHasher) -> Iterator[None]:
    """Argon2id with the least time and memory it accepts, for the tests' many sign-ins.

    A hash carries its own parameters, so a server in another process verifies these just as
    cheaply; production's parameters are checked by ``tests/accounts/test_passwords.py``.
    """
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", cheap)
        yield


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with running(start) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis server (started lazily, on first use)."""
    try:
        server = start_redis()
    except RedisUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """A Redis database of the test's own, empty."""
    return redis_server.fresh_url()


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """The backend under test; parametrized by ``pytest_generate_tests``."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to the head once per session; ``db`` tests start from a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated(pg_server: PostgresServer) -> Iterator[MigratedPool]:
    """PostgreSQL databases at the head: copies of one migrated once per session, emptied and
    reused from test to test (see :class:`pgserver.MigratedPool`)."""
    name, url = pg_server.create_database("template")
    _migrate(url)
    pool = MigratedPool(pg_server, name)
    yield pool
    pool.close()


def _migrate(url: str) -> None:
    migrated = Database(load_settings(database_url=url))
    try:
        upgrade(migrated.engine)
    finally:
        migrated.dispose()


@pytest.fixture
def database_url(database: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own: empty, or already migrated when the test uses ``db`` (from
    a template built once per session, which is much faster than running the migrations per
    test)."""
    migrated = "db" in request.fixturenames
    if database == "sqlite":
        path = tmp_path / "test.db"
        if migrated:
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    if migrated:
        pool: MigratedPool = request.getfixturevalue("pg_migrated")
        name, url = pool.take()
        try:
            yield url
        finally:
            pool.give_back(name, url)
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    name, url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(name)


@pytest.fixture
def make_settings(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "data_dir": tmp_path,
            "public_url": PUBLIC_URL,
        }
        values.update(overrides)
        return load_settings(**values)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A ``Database`` on ``settings``, at the migrations' head (see ``database_url``)."""
    opened = Database(settings)
    try:
        yield opened
    finally:
        opened.dispose()
