"""``sellergate sellers``: seller accounts."""

from __future__ import annotations

import sys

import typer

from sellergate.accounts.sellers import create_seller
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit
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
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a seller account (the password is stored as an Argon2id hash)."""
    password = read_password(password_stdin)
    with database_session(write=True) as session:
        seller = create_seller(session, username, email, password)
        result = {"seller_id": seller.id, "username": seller.username}
    emit(result, as_json, f"created seller {username} (id {result['seller_id']})")
