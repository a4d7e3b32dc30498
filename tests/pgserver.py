"""A real, throwaway PostgreSQL server for the test session.

``start()`` gives a :class:`PostgresServer`: either one started here (``initdb`` into a
temporary directory, listening only on 127.0.0.1 with trust authentication and ``fsync=off``)
or, when ``SELLERGATE_TEST_DATABASE_URL`` is set to a ``postgresql://`` URL, the server at that
URL. Tests get a fresh database each with :meth:`PostgresServer.create_database` and drop it
again with :meth:`PostgresServer.drop_database`; a :class:`MigratedPool` hands out migrated
databases, emptied and reused from one test to the next.

PostgreSQL refuses to run as root; when the tests run as root, the data directory belongs to the
``postgres`` OS user and the server binaries run through ``runuser -u postgres``.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

ENV_URL = "SELLERGATE_TEST_DATABASE_URL"
PREFERRED_VERSION = "15"
OS_USER = "postgres"

SERVER_CONFIG = """
# sellergate test server: throwaway, fast, local only
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 32MB
log_min_messages = warning
log_min_error_statement = panic
"""


class PostgresUnavailable(RuntimeError):
    """The test PostgreSQL server cannot be started; the message says why and what to do."""


def find_bindir() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``."""
    candidates: list[str] = []
    if explicit := os.environ.get("SELLERGATE_TEST_PG_BINDIR"):
        candidates.append(explicit)
    candidates.append(f"/usr/lib/postgresql/{PREFERRED_VERSION}/bin")
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass

    def version(path: str) -> int:
        try:
            return int(Path(path).parent.name)
        except ValueError:
            return 0

    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True)
    for tool in ("initdb", "pg_ctl"):
        if found := shutil.which(tool):
            candidates.append(str(Path(found).parent))
    for candidate in candidates:
        path = Path(candidate)
        if all((path / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return path
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
        f"{', '.join(dict.fromkeys(candidates)) or 'any known location'}. Install them "
        "(apt-get install postgresql-15), point SELLERGATE_TEST_PG_BINDIR at them, set "
        f"{ENV_URL}=postgresql://... to use an existing server, or run only the SQLite tests "
        "with SELLERGATE_TEST_DATABASES=sqlite."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@dataclass
class PostgresServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    url: str  # the maintenance database, e.g. postgresql://postgres@127.0.0.1:PORT/postgres
    owned: bool = False  # started here, so stopped here
    bindir: Path | None = None
    root: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def datadir(self) -> Path | None:
        return self.root / "data" if self.root else None

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def create_database(self, prefix: str = "test", template: str | None = None) -> tuple[str, str]:
        """Create a database, empty or a copy of ``template``; return its name and URL."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with self.connect() as conn:
            conn.execute(statement)
        return name, _with_database(self.url, name)

    def drop_database(self, name: str) -> None:
        """Drop a database, first ending any connection a test left open to it."""
        self.end_connections(name)
        with self.connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))

    def end_connections(self, name: str) -> None:
        """End every connection to the database ``name`` and wait until they are gone."""
        with self.connect() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )

    def log(self) -> str:
        if self.root is None:
            return ""
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def pause(self) -> None:
        """Stop the server process (fast shutdown: connections are cut), keeping its data."""
        assert self.owned and self.bindir and self.datadir, "only a server started here"
        _run_as_owner(
            [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "fast", "-w"],
            cwd=self.root,
        )

    def resume(self) -> None:
        """Start the paused server again, on the same port."""
        assert self.owned and self.bindir and self.datadir and self.root
        _run_as_owner(
            [
                *(str(self.bindir / "pg_ctl"), "start", "-D", str(self.datadir)),
                *("-l", str(self.root / "server.log"), "-w", "-t", "60"),
            ],
            cwd=self.root,
        )
        _wait_until_ready(self.url)

    def stop(self) -> None:
        if self._stopped or not self.owned:
            return
        self._stopped = True
        try:
            if self.bindir and self.datadir and (self.datadir / "postmaster.pid").exists():
                _run_as_owner(
                    [
                        *(str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir)),
                        *("-m", "immediate", "-w", "-t", "30"),
                    ],
                    cwd=self.root,
                    check=False,
                )
        finally:
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)


# What makes two databases the same schema: every relation, column, index, constraint, type and
# the migration revision. A test that changed any of it leaves a database that is not reused.
_SHAPE = """
SELECT string_agg(item, E'\\n' ORDER BY item) FROM (
    SELECT format('%s %s', c.relname, c.relkind) FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('%s.%s %s %s %s', a.attrelid::regclass, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(d.adbin, d.adrelid))
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid AND c.relnamespace = 'public'::regnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid AND c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('%s %s', conname, pg_get_constraintdef(oid)) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('type %s', typname) FROM pg_type
     WHERE typnamespace = 'public'::regnamespace AND typtype NOT IN ('c', 'b')
    UNION ALL
    SELECT format('trigger %s', tgname) FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid AND c.relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT format('function %s', proname) FROM pg_proc
     WHERE pronamespace = 'public'::regnamespace
) AS shape(item)
"""
_KEPT_TABLES = ("alembic_version",)  # the revision the schema is at: kept when emptying


class MigratedPool:
    """Migrated databases for one test at a time: a copy of ``template`` when none is free,
    else one an earlier test gave back, emptied.

    ``CREATE DATABASE`` copies the whole catalogue (about 9 MB); emptying a few dozen small
    tables costs a fraction of that. What a test sees is the same either way: the schema at
    the head, every table empty (the revision excepted), every sequence at its start, no
    connection left from before. A database whose schema the test changed is dropped.
    """

    def __init__(self, server: PostgresServer, template: str) -> None:
        self.server = server
        self.template = template
        self._free: list[tuple[str, str]] = []
        with psycopg.connect(_with_database(server.url, template), autocommit=True) as conn:
            self._shape = conn.execute(_SHAPE).fetchone()

    def take(self) -> tuple[str, str]:
        """A database's name and URL."""
        if self._free:
            return self._free.pop()
        return self.server.create_database(template=self.template)

    def give_back(self, name: str, url: str) -> None:
        self.server.end_connections(name)
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            if conn.execute(_SHAPE).fetchone() != self._shape:
                reusable = False
            else:
                tables = [
                    sql.Identifier(table)
                    for (table,) in conn.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    )
                    if table not in _KEPT_TABLES
                ]
                conn.execute(
                    sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
                        sql.SQL(", ").join(tables)
                    )
                )
                reusable = True
        if reusable:
            self._free.append((name, url))
        else:
            self.server.drop_database(name)

    def close(self) -> None:
        while self._free:
            self.server.drop_database(self._free.pop()[0])


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _run_as_owner(
    argv: list[str], *, cwd: Path | None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL binary as the data directory's owner (``postgres`` when we are root)."""
    if _running_as_root():
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        argv = [runuser, "-u", OS_USER, "--", *argv]
    return subprocess.run(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def _wait_until_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _launch(bindir: Path) -> PostgresServer:
    owner = pwd.getpwuid(os.geteuid())
    if _running_as_root():
        try:
            owner = pwd.getpwnam(OS_USER)
        except KeyError:
            raise PostgresUnavailable(
                f"running as root, PostgreSQL needs an unprivileged OS user {OS_USER!r} to run "
                f"as; create one (useradd --system {OS_USER}) or set {ENV_URL}"
            ) from None
        # The default temporary directory may sit under /root, out of the postgres user's reach.
        root = Path(tempfile.mkdtemp(prefix="sellergate-pg-", dir="/tmp"))
        os.chown(root, owner.pw_uid, owner.pw_gid)
    else:
        root = Path(tempfile.mkdtemp(prefix="sellergate-pg-"))
    server = PostgresServer(url="", owned=True, bindir=bindir, root=root)
    try:
        datadir = root / "data"
        try:
            _run_as_owner(
                [
                    *(str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust"),
                    *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
                ],
                cwd=root,
            )
        except subprocess.CalledProcessError as exc:
            raise PostgresUnavailable(
                f"initdb failed ({exc.returncode}): {(exc.stderr or exc.stdout).strip()}"
            ) from None
        for attempt in range(5):
            port = _free_port()
            config = SERVER_CONFIG.format(port=port, socket_dir=root)
            conf = datadir / "postgresql.auto.conf"
            conf.write_text(config)
            if _running_as_root():
                os.chown(conf, owner.pw_uid, owner.pw_gid)
            result = _run_as_owner(
                [
                    *(str(bindir / "pg_ctl"), "start", "-D", str(datadir)),
                    *("-l", str(root / "server.log"), "-w", "-t", "60"),
                ],
                cwd=root,
                check=False,
            )
            if result.returncode == 0:
                break
            if attempt == 4 or "could not bind" not in server.log():
                raise PostgresUnavailable(
                    f"pg_ctl start failed ({result.returncode}): "
                    f"{(result.stderr or result.stdout).strip()}\n--- server log ---\n"
                    f"{server.log()}"
                )
        server.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        _wait_until_ready(server.url)
    except BaseException:
        server.stop()
        raise
    return server


def start() -> PostgresServer:
    """The server named by ``SELLERGATE_TEST_DATABASE_URL``, or a fresh one started here."""
    external = os.environ.get(ENV_URL, "").strip()
    if external:
        if not external.startswith(("postgresql://", "postgres://")):
            raise PostgresUnavailable(f"{ENV_URL} must be a postgresql:// URL (got {external!r})")
        server = PostgresServer(url=external)
        try:
            _wait_until_ready(server.url, timeout=10)
        except psycopg.OperationalError as exc:
            raise PostgresUnavailable(f"cannot connect to {ENV_URL}: {exc}") from None
        return server
    server = _launch(find_bindir())
    atexit.register(server.stop)  # also when the session ends without its fixture teardown
    return server


def start_dedicated() -> PostgresServer:
    """A server of the caller's own, always started here (never the external one), for a
    test that stops and starts it; stop it with :meth:`PostgresServer.stop`."""
    server = _launch(find_bindir())
    atexit.register(server.stop)
    return server


if __name__ == "__main__":  # a quick manual check: python tests/pgserver.py
    srv = start()
    try:
        db_name, db_url = srv.create_database()
        print(srv.url, db_url)
        srv.drop_database(db_name)
    finally:
        srv.stop()


@contextmanager
def running(start_server: Callable[[], PostgresServer]) -> Iterator[PostgresServer]:
    """A fixture's server: started by ``start_server`` (the test fails, with the reason, if it
    cannot be) and stopped afterwards."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
