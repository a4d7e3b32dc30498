"""``sellergate audit``: the security log, for the platform team (never a secret in it)."""

from __future__ import annotations

import typer

from sellergate.accounts.audit import MAX_PAGE, list_events
from sellergate.accounts.sellers import get_seller
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit, when
from sellergate.durations import parse_duration
from sellergate.errors import InvalidInput
from sellergate.storage.types import utcnow

app = typer.Typer(help="The security log: sign-ins, tokens, apps, leak reports.")


@app.command("list")
def list_(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's events."),
    since: str | None = typer.Option(
        None, "--since", help="Only events of the last D, e.g. 24h or 7d."
    ),
    limit: int = typer.Option(
        50, "--limit", min=1, max=MAX_PAGE, help=f"At most N events (1-{MAX_PAGE})."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """List security events, newest first."""
    try:
        cutoff = utcnow() - parse_duration(since) if since is not None else None
    except ValueError as exc:
        raise InvalidInput(f"--since: {exc}", field="since") from None
    with database_session() as session:
        seller_id = get_seller(session, seller).id if seller else None
        events = list_events(session, seller_id=seller_id, since=cutoff, limit=limit)
    rows = [
        {
            "id": event.id,
            "time": event.created_at,
            "kind": event.kind,
            "seller": event.seller,
            "app": event.client_id,
            "actor": event.actor,
            "address": event.address,
            "details": event.details,
        }
        for event in events
    ]
    lines = [
        f"{when(event.created_at)}  {event.kind:<24} {event.seller or '-':<16} "
        f"{event.client_id or '-':<24} {event.actor:<8} {event.address or '-':<15} "
        + " ".join(f"{key}={value}" for key, value in event.details.items())
        for event in events
    ]
    emit({"events": rows}, as_json, "\n".join(lines) if rows else "no events")
