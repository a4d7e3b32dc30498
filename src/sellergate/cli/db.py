"""``sellergate db``: schema migrations."""

from __future__ import annotations

import typer

from sellergate.cli.context import open_database
from sellergate.cli.output import JSON_OPTION, emit
from sellergate.config import load_settings
from sellergate.storage.database import Database
from sellergate.storage.migrate import current_revision, upgrade
from sellergate.storage.prune import prune

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


@app.command("prune")
def prune_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; delete nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete expired and spent rows (codes, tokens, secure links, grants) in short batches."""
    settings = load_settings()
    db = open_database(settings)
    try:
        counts = prune(db.engine, settings, dry_run=dry_run)
    finally:
        db.dispose()
    verb = "would remove" if dry_run else "removed"
    lines = [f"{table}: {verb} {count}" for table, count in counts.items()]
    emit({"dry_run": dry_run, "tables": counts}, as_json, "\n".join(lines))
