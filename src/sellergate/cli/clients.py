"""``sellergate clients``: third-party apps (OAuth clients). Secrets are never printed: each
one is delivered through a one-time secure link."""

from __future__ import annotations

from typing import Any

import typer

from sellergate.accounts import clients
from sellergate.accounts.audit import Actor, EventKind, record_event
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit, when
from sellergate.config import load_settings

app = typer.Typer(
    help="Third-party apps that connect to sellers' accounts through OAuth 2.0.",
    no_args_is_help=True,
)


def _describe(client: clients.ClientInfo) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "public": client.public,
        "redirect_uris": client.redirect_uris,
        "scopes": client.scopes,
        "created_at": client.created_at,
        "disabled_at": client.disabled_at,
        "dpop": client.dpop_mode,
        "require_par": client.require_par,
    }


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['client_id']}  {row['name']}  "
        f"{'public' if row['public'] else 'confidential'}  {' '.join(row['scopes'])}"
        f"  dpop={row['dpop']}" + ("  par-required" if row["require_par"] else "")
    ) + (f"  DISABLED {when(row['disabled_at'])}" if row["disabled_at"] else "")


DPOP_HELP = (
    "DPoP (RFC 9449): off (tokens are always Bearer), optional (bound when the app sends a "
    "proof), required (a token request without a proof is refused)."
)


@app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="The app's name, shown on the consent page."),
    redirect_uri: list[str] = typer.Option(
        ..., "--redirect-uri", help="A redirect URI (exact match; repeat for several)."
    ),
    scope: list[str] = typer.Option(
        ..., "--scope", help="A scope the app may ask for (repeat; full_access is refused)."
    ),
    public: bool = typer.Option(
        False, "--public", help="A native or browser app without a secret (PKCE required)."
    ),
    dpop: str = typer.Option("optional", "--dpop", help=DPOP_HELP),
    require_par: bool = typer.Option(
        False, "--require-par", help="Refuse authorization requests not pushed first (RFC 9126)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register an app; a confidential app's secret comes through a one-time secure link."""
    settings = load_settings()
    with database_session(settings, write=True) as session:
        registered = clients.register_client(
            session,
            settings,
            name=name,
            redirect_uris=redirect_uri,
            scopes=[part for value in scope for part in value.split()],
            public=public,
            dpop_mode=dpop,
            require_par=require_par,
        )
    link = registered.link
    result: dict[str, Any] = {
        "client_id": registered.client_id,
        "public": public,
        "dpop": dpop,
        "require_par": require_par,
        "secure_link": link.url(settings.public_url) if link else None,
        "link_expires_at": link.expires_at if link else None,
    }
    human = f"client {registered.client_id} created for {name}."
    if link:
        human += (
            f"\nSend the developer this one-time link to the client secret "
            f"(expires {when(link.expires_at)}):\n{result['secure_link']}"
        )
    else:
        human += "\nIt is a public client: no secret; it must use PKCE (S256)."
    emit(result, as_json, human)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List registered apps (never their secrets)."""
    with database_session() as session:
        rows = [_describe(client) for client in clients.list_clients(session)]
    lines = [_line(row) for row in rows]
    emit({"clients": rows}, as_json, "\n".join(lines) if rows else "no clients")


@app.command("update")
def update(
    client_id: str = typer.Argument(..., help="The app to change."),
    dpop: str | None = typer.Option(None, "--dpop", help=DPOP_HELP),
    require_par: bool | None = typer.Option(
        None,
        "--require-par/--no-require-par",
        help="Whether the app must push its authorization requests first (RFC 9126).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Change an app's DPoP mode or PAR requirement; prints the app as `clients list` does."""
    with database_session(write=True) as session:
        row = _describe(
            clients.update_client(session, client_id, dpop_mode=dpop, require_par=require_par)
        )
    emit(row, as_json, _line(row))


@app.command("rotate-secret")
def rotate_secret(
    client_id: str = typer.Argument(..., help="The app whose secret to replace."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace an app's secret: the old one stops working now; the new one comes by link."""
    settings = load_settings()
    with database_session(settings, write=True) as session:
        link = clients.rotate_secret(session, settings, client_id)
        record_event(
            session, EventKind.CLIENT_SECRET_ROTATED, actor=Actor.PLATFORM, client_id=client_id
        )
    url = link.url(settings.public_url)
    emit(
        {"client_id": client_id, "secure_link": url, "link_expires_at": link.expires_at},
        as_json,
        f"the old secret of {client_id} no longer works.\nOne-time link to the new one:\n{url}",
    )


@app.command("disable")
def disable(
    client_id: str = typer.Argument(..., help="The app to shut out."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Disable an app: every token it holds is revoked and it can get no new ones."""
    with database_session(write=True) as session:
        disabled_at = clients.disable_client(session, client_id).disabled_at
        record_event(session, EventKind.CLIENT_DISABLED, actor=Actor.PLATFORM, client_id=client_id)
    emit(
        {"client_id": client_id, "disabled_at": disabled_at},
        as_json,
        f"client {client_id} disabled at {when(disabled_at)}; its tokens are revoked",
    )
