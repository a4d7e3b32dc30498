"""Entry point: ``sellergate``. Errors become one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import OperationalError

from sellergate.cli import audit, clients, db, demo, orders, sellers, serve, shop, tokens
from sellergate.config import ConfigError
from sellergate.errors import SellergateError

# Packages of the ``demo`` extra: only the demo, the seeder and the order simulator load them.
DEMO_EXTRA = ("faker",)

app = typer.Typer(
    name="sellergate",
    help="Seller API platform: OAuth 2.0 server, personal API tokens and the GraphQL "
    "Seller API.\n\nConfiguration comes from SELLERGATE_* environment variables "
    "(see docs/configuration.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(sellers.app, name="sellers")
app.add_typer(tokens.app, name="tokens")
app.add_typer(orders.app, name="orders")
app.add_typer(shop.app, name="shop")
app.add_typer(clients.app, name="clients")
app.add_typer(audit.app, name="audit")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"sellergate: error: {message}", err=True)
    sys.exit(code)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        _fail(f"configuration: {exc}", 2)
    except SellergateError as exc:
        _fail(exc.description or exc.code)
    except ModuleNotFoundError as exc:
        if exc.name not in DEMO_EXTRA:
            raise
        _fail(f"this command needs the demo extra: pip install 'sellergate[demo]' ({exc.name})")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "unreachable"
        _fail(f"cannot use the database: {reason}")
