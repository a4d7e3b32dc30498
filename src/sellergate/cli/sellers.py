"""``sellergate sellers``: seller accounts."""

from __future__ import annotations

import sys

import typer

from sellergate.accounts.identities import link_identity, list_sellers
from sellergate.accounts.sellers import create_seller
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit, when
from sellergate.config import load_settings
from sellergate.errors import InvalidInput

app = typer.Typer(help="Seller accounts.", no_args_is_help=True)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidInput("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise InvalidInput("no terminal to ask for a password: use --password-stdin")
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


@app.command("create")
def create(
    username: str = typer.Argument(..., help="Login name: lowercase letters, digits, _ . -"),
    email: str = typer.Option(..., "--email", help="The seller's email address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    oidc_subject: str | None = typer.Option(
        None,
        "--oidc-subject",
        help="Sign-in only through SELLERGATE_OIDC_ISSUER, as the account with this 'sub'.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a seller account: with a password (stored as an Argon2id hash), or linked to an
    account at the upstream OpenID Connect provider and without a password."""
    if password_stdin and oidc_subject is not None:
        raise InvalidInput("give --password-stdin or --oidc-subject, not both")
    settings = load_settings()
    password = None if oidc_subject is not None else read_password(password_stdin)
    with database_session(settings, write=True) as session:
        seller = create_seller(session, username, email, password)
        result: dict[str, object] = {"seller_id": seller.id, "username": seller.username}
        if oidc_subject is not None:
            link_identity(session, username, settings.oidc_issuer, oidc_subject)
            result["oidc_subject"] = oidc_subject
    emit(result, as_json, f"created seller {username} (id {result['seller_id']})")


@app.command("link")
def link(
    username: str = typer.Argument(..., help="The seller's username."),
    oidc_subject: str = typer.Option(
        ..., "--oidc-subject", help="The account's 'sub' at SELLERGATE_OIDC_ISSUER."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Link a seller to an account at the upstream OpenID Connect provider (by its subject)."""
    settings = load_settings()
    with database_session(settings, write=True) as session:
        identity = link_identity(session, username, settings.oidc_issuer, oidc_subject)
        result = {
            "seller_id": identity.seller_id,
            "username": username,
            "oidc_subject": oidc_subject,
        }
    emit(result, as_json, f"linked seller {username} to {oidc_subject}")


@app.command("list")
def list_command(as_json: bool = JSON_OPTION) -> None:
    """The sellers, with how each can sign in (password, oidc)."""
    with database_session() as session:
        sellers = [
            {
                "id": seller.id,
                "username": seller.username,
                "email": seller.email,
                "created": seller.created_at,
                "methods": seller.methods,
            }
            for seller in list_sellers(session)
        ]
    human = "\n".join(
        f"{s['id']}\t{s['username']}\t{s['email']}\t{when(s['created'])}\t{','.join(s['methods'])}"  # type: ignore[arg-type]
        for s in sellers
    )
    emit({"sellers": sellers}, as_json, human or "no sellers")
