"""``sellergate serve``: run the HTTP server."""

from __future__ import annotations

import typer

from sellergate.cli.context import open_database
from sellergate.config import load_settings

FACTORY = "sellergate.web.asgi:app_from_environment"


def run_server(host: str, port: int, workers: int, log_level: str) -> None:
    import uvicorn  # loaded only to serve: every other command starts without it

    uvicorn.run(
        FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="httptools",
        loop="uvloop",
        # The access log would record secure-link paths, which are secrets: it stays off.
        access_log=False,
        log_level=log_level,
        # The application reads X-Forwarded-For itself, from SELLERGATE_TRUSTED_PROXIES only
        # (sellergate.web.addresses); uvicorn's own rewriting would believe any local peer.
        proxy_headers=False,
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
    run_server(host, port, workers, settings.log_level)
