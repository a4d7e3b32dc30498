"""``sellergate demo``: the newcomer's tour, on the embedded database.

The command only parses its options here; the web stack, the demo app and the shop seeder load
when it runs, so that every other command starts quickly.
"""

from __future__ import annotations

import typer

from sellergate.cli.output import JSON_OPTION


def demo(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="sellergate's port."),
    app_port: int = typer.Option(
        8001, "--app-port", min=1, max=65535, help="The demo Connect app's port."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run sellergate and a demo third-party "Connect" app with a seeded shop."""
    from sellergate.cli.demo_tour import run_demo

    run_demo(host, port, app_port, as_json)
