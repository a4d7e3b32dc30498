"""A throwaway PostgreSQL server for a benchmark run: initdb, start on loopback, drop at exit.

It runs as the ``postgres`` OS user when we are root (PostgreSQL refuses to run as root) and
with ``fsync=off``: the figures compare request handling, not the disk.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

CONFIG = """listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{root}'
fsync = off
full_page_writes = off
max_connections = 300
shared_buffers = 64MB
log_min_messages = warning
"""


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    candidates = [os.environ.get("SELLERGATE_TEST_PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [str(Path(found).parent)] if found else []
    for candidate in filter(None, candidates):
        if all((Path(candidate) / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    raise SystemExit("bench: PostgreSQL server binaries (initdb, pg_ctl) not found")


def _as_owner(argv: list[str]) -> None:
    if os.geteuid() == 0:
        argv = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=120, stdin=subprocess.DEVNULL)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Start a server; yield the ``postgresql://`` URL of an empty database on it."""
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="sellergate-bench-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data = root / "data"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    try:
        _as_owner([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"])
        conf = data / "postgresql.auto.conf"
        conf.write_text(CONFIG.format(port=port, root=root))
        log = root / "server.log"
        _as_owner([str(bindir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w"])
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("CREATE DATABASE bench")
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"postgresql://postgres@127.0.0.1:{port}/bench"
    finally:
        if (data / "postmaster.pid").exists():
            _as_owner([str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"])
        shutil.rmtree(root, ignore_errors=True)
