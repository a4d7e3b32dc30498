"""Real processes around sellergate for the gateway tests: nginx with the shipped
``deploy/gateway/nginx.conf``, and an upstream API of the tests' own that echoes what it gets.

:func:`nginx_conf` substitutes only what the file marks ``ADAPT`` (the addresses of sellergate
and of the API, and the listening port); :class:`Nginx` runs it in the foreground under a
temporary prefix on 127.0.0.1 and is stopped by its PID. :class:`EchoUpstream` answers every
request with the method, raw path and headers it received, and keeps them, so a test can tell
whether a request reached it at all.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from gateway.support import ROOT
from live import free_port

SHIPPED = ROOT / "deploy" / "gateway" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_conf(sellergate: list[str], api: str, port: int) -> str:
    """The shipped configuration with its ADAPT lines pointed at these addresses."""
    text = SHIPPED.read_text()
    text, nodes = re.subn(
        r"^(\s*)server 127\.0\.0\.1:8000;.*$",
        lambda m: "\n".join(f"{m.group(1)}server {node};" for node in sellergate),
        text,
        flags=re.M,
    )
    text, apis = re.subn(r"server 127\.0\.0\.1:9000;", f"server {api};", text)
    text, listens = re.subn(r"listen 8080;", f"listen 127.0.0.1:{port};", text)
    assert (nodes, apis, listens) == (1, 1, 1), "the shipped file's ADAPT lines moved"
    return text


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]


class EchoUpstream:
    """The marketplace's API, as far as the tests need one."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _echo(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                received.append(Received(self.command, self.path, headers))
                body = json.dumps({"method": self.command, "path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _echo

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Nginx:
    def __init__(self, prefix: Path, sellergate: list[str], api: str) -> None:
        self.prefix = prefix
        self.port = free_port()
        prefix.mkdir(parents=True, exist_ok=True)
        (prefix / "gateway.conf").write_text(nginx_conf(sellergate, api, self.port))
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / temp).mkdir(exist_ok=True)
        # Only this wrapper is the tests' own: where nginx keeps its files, and, as root, that
        # its workers may use the temporary directory they are given.
        user = "user root;\n" if os.geteuid() == 0 else ""
        (prefix / "nginx.conf").write_text(
            f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/gateway.conf;
}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [NGINX, "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")]
        command += ["-e", str(self.prefix / "error.log"), "-g", "daemon off;"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            if self.process.poll() is not None:
                assert self.process.stderr is not None
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        """One request with the path sent exactly as given (no client-side normalisation)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        response.read()
        connection.close()
        return response


@contextmanager
def running_nginx(prefix: Path, sellergate: list[str], api: str) -> Iterator[Nginx]:
    nginx = Nginx(prefix, sellergate, api)
    nginx.start()
    try:
        yield nginx
    finally:
        nginx.stop()


@contextmanager
def running_upstream() -> Iterator[EchoUpstream]:
    upstream = EchoUpstream()
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()
