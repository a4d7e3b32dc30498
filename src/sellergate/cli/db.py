"""``sellergate db``: schema migrations."""

from __future__ import annotations

import typer

from sellergate.cli.output import JSON_OPTION, emit
from sellergate.config import load_settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import current_revision, upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(as_json: bool = JSON_OPTION) -> None:
    """Apply every pending migration (safe to run again)."""
    db = Database(load_settings())
    try:
        before = current_revision(db.engine)
        upgrade(db.engine)
        after = current_revision(db.engine)
    finally:
        db.dispose()
    emit(
        {"from_revision": before, "revision": after, "changed": before != after},
        as_json,
        f"database at revision {after}" + ("" if before != after else " (already up to date)"),
    )
