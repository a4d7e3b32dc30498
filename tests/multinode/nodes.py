"""Real sellergate nodes for the multi-node tests: ``sellergate serve`` subprocesses on free
ports of 127.0.0.1, sharing one PostgreSQL database and one Redis.

``Cluster`` (the ``cluster`` fixture in ``conftest.py``) holds what the nodes share: the
environment, and an in-process ``Database`` on the same PostgreSQL for seeding and checking.
``cluster.start("a", SELLERGATE_X="...")`` starts a node (settings beyond the shared ones as
keyword arguments) and waits until it answers; ``cluster.start("a", "b")`` starts several at
once (each takes seconds to import and start) and waits for all. A test of a shared behaviour
is then a few lines:

    a, b = cluster.start("a", "b")
    browser = a.client()          # an httpx.Client on node A (keeps cookies)
    ...
    assert b.client(cookies=browser.cookies).get("/dashboard").status_code == 200

Each node's stderr (JSON log lines) is in a file; ``node.logs()`` parses it. Nodes are stopped
by their own PID, with SIGTERM (``node.stop()``), when the test ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sellergate.config import Settings, load_settings
from sellergate.storage.database import Database

SELLERGATE = str(Path(sys.executable).parent / "sellergate")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.url + path, timeout=30, **kwargs)

    def api(self, token: str, query: str = "{ me { username } }") -> httpx.Response:
        return self.post(
            "/seller-api/graphql",
            json={"query": query},
            headers={"Authorization": f"Bearer {token}"},
        )

    def answers(self) -> bool:
        try:
            return self.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def logs(self) -> list[dict[str, Any]]:
        """The JSON records the node logged so far (other lines, such as uvicorn's banner
        before logging is set up, are skipped)."""
        records = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                records.append(json.loads(line))
        return records

    def events(self, event: str) -> list[dict[str, Any]]:
        return [record for record in self.logs() if record.get("event") == event]

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for a graceful exit; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode


@dataclass
class Cluster:
    env: dict[str, str]
    directory: Path
    nodes: list[Node] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        values = {k.removeprefix("SELLERGATE_").lower(): v for k, v in self.env.items()}
        return load_settings(**{k: v for k, v in values.items() if k in Settings.model_fields})

    @contextmanager
    def database(self) -> Iterator[Database]:
        db = Database(self.settings)
        try:
            yield db
        finally:
            db.dispose()

    def start(self, *names: str, workers: int = 1, **env: str) -> list[Node]:
        """Start a node per name, all at once, with the same settings; once all answer."""
        started = [self._launch(name, workers, env) for name in names]
        deadline = time.monotonic() + 60
        for node in started:
            while not node.answers():
                if node.process.poll() is not None:
                    raise RuntimeError(f"node {node.name} exited: {node.log_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"node {node.name} did not start: {node.log_text()[-2000:]}")
                time.sleep(0.1)
        return started

    def _launch(self, name: str, workers: int, env: dict[str, str]) -> Node:
        port = free_port()
        log_path = self.directory / f"node-{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [SELLERGATE, "serve", "--port", str(port), "--workers", str(workers)],
                env={**os.environ, **self.env, **env},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        node = Node(name, f"http://127.0.0.1:{port}", process, log_path)
        self.nodes.append(node)
        return node

    def stop_all(self) -> None:
        for node in self.nodes:
            node.stop()


def wait_for(predicate: Any, timeout: float = 20, interval: float = 0.2) -> bool:
    """Poll ``predicate()`` until it is true or the time is up; whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
