"""A real, throwaway Redis server for the test session.

``start()`` runs ``redis-server`` on a free port of 127.0.0.1 with no persistence, in a
temporary directory, and gives a :class:`RedisServer` with its ``url``. Each test that wants a
clean slate takes a database number of its own with :meth:`RedisServer.fresh_url` (flushed
first). ``SELLERGATE_TEST_REDIS_URL`` uses an existing server instead of starting one (shared by
the pytest-xdist workers, each with database numbers of its own).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

ENV_URL = "SELLERGATE_TEST_REDIS_URL"
DATABASES = 16


class RedisUnavailable(RuntimeError):
    """The test Redis server cannot be started; the message says why and what to do."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    url: str
    process: subprocess.Popen[bytes] | None = None
    directory: Path | None = None
    _numbers: itertools.cycle[int] = field(
        default_factory=lambda: itertools.cycle(range(1, DATABASES))
    )

    def fresh_url(self) -> str:
        """A URL of a database number of its own, emptied first."""
        url = f"{self.url.rstrip('/').rsplit('/', 1)[0]}/{next(self._numbers)}"
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()
        return url

    def stop(self) -> None:
        """Stop the server started here (by its own PID); an external one is left alone."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def _shared_numbers() -> itertools.cycle[int]:
    """The database numbers of this pytest-xdist worker on a server the workers share: each
    worker its own, so that one never empties another's."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    mine = [number for number in range(1, DATABASES) if number % workers == worker % workers]
    if not mine:
        raise RedisUnavailable(f"{ENV_URL}: too many test workers for {DATABASES} databases")
    return itertools.cycle(mine)


def start() -> RedisServer:
    if explicit := os.environ.get(ENV_URL):
        return RedisServer(url=explicit.rstrip("/") + "/0", _numbers=_shared_numbers())
    binary = shutil.which("redis-server")
    if binary is None:
        raise RedisUnavailable(
            "redis-server is not installed (Debian: apt-get install redis-server), "
            f"or set {ENV_URL}=redis://host:port to use a running server"
        )
    directory = Path(tempfile.mkdtemp(prefix="sellergate-redis-"))
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(directory),
            "--databases", str(DATABASES),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = RedisServer(url=f"redis://127.0.0.1:{port}/0", process=process, directory=directory)
    client = redis.Redis.from_url(server.url)
    deadline = time.monotonic() + 15
    try:
        while True:
            try:
                client.ping()
                return server
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    raise RedisUnavailable("redis-server did not start") from None
                time.sleep(0.05)
    finally:
        client.close()
