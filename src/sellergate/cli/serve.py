"""``sellergate serve``: run the HTTP server.

uvicorn runs the app in ``--workers`` processes. What serve adds around it:

- metrics for the whole node: a fresh ``PROMETHEUS_MULTIPROC_DIR`` for the workers to write
  their values to (see :mod:`sellergate.web.metrics`), removed when the server stops; an
  operator's own directory is used if set, and emptied first;
- graceful shutdown: on SIGTERM or SIGINT uvicorn stops accepting connections, lets in-flight
  requests finish (up to ``SELLERGATE_SHUTDOWN_TIMEOUT_SECONDS``), then runs each worker's
  shutdown, which writes the buffered "last used" times (:mod:`sellergate.web.jobs`);
- structured logs from every worker (:mod:`sellergate.logs`), with the access log on.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import typer

from sellergate.cli.context import open_database
from sellergate.config import Settings, load_settings
from sellergate.logs import logging_config

FACTORY = "sellergate.web.asgi:app_from_environment"
METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
WORKER_HEALTHCHECK_SECONDS = 60


@contextlib.contextmanager
def metrics_directory() -> Iterator[Path]:
    """Where the workers write their metrics; set in the environment they inherit."""
    given = os.environ.get(METRICS_VARIABLE)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        # Values left by an earlier run would be added to this one's.
        for stale in path.glob("*.db"):
            stale.unlink()
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="sellergate-metrics-"))
    os.environ[METRICS_VARIABLE] = str(path)
    try:
        yield path
    finally:
        del os.environ[METRICS_VARIABLE]
        shutil.rmtree(path, ignore_errors=True)


def run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    import uvicorn  # loaded only to serve: every other command starts without it

    from sellergate.web.protocol import CoalescingHttpToolsProtocol

    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=CoalescingHttpToolsProtocol,
        loop="uvloop",
        # Our own access log (web.requestlog) replaces uvicorn's: structured, redacted.
        access_log=False,
        log_config=logging_config(settings),
        log_level=settings.log_level,
        # The application reads X-Forwarded-For itself, from SELLERGATE_TRUSTED_PROXIES only
        # (sellergate.web.addresses); uvicorn's own rewriting would believe any local peer.
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
        # A new worker answers the supervisor's ping only once it has imported the app, which
        # on a loaded machine takes longer than uvicorn's 5 s: it would be killed in a loop.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes."),
) -> None:
    """Run the server (the embedded SQLite database is migrated first; PostgreSQL must be)."""
    settings = load_settings()
    open_database(settings).dispose()
    typer.echo(f"sellergate ({settings.env.value}) on http://{host}:{port}", err=True)
    with metrics_directory(), _sigterm_exits_cleanly():
        run_server(settings, host, port, workers)


@contextlib.contextmanager
def _sigterm_exits_cleanly() -> Iterator[None]:
    """After a graceful shutdown, uvicorn raises the signal it caught again, under the handler
    that was there before it: with one worker (no supervisor process), Python's default would
    kill the process (-15) before the metrics directory is removed. This handler ends it as
    a clean exit instead, with every ``finally`` run."""

    def stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
