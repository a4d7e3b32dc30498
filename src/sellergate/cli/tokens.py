"""``sellergate tokens``: personal API tokens, delivered only through secure links."""

from __future__ import annotations

from datetime import timedelta

import typer

from sellergate.accounts import personal_tokens
from sellergate.accounts.sellers import get_seller
from sellergate.cli.context import database_session
from sellergate.cli.output import JSON_OPTION, emit, when
from sellergate.config import load_settings
from sellergate.durations import parse_duration
from sellergate.errors import InvalidInput

app = typer.Typer(
    help="Personal API tokens (scope full_access). Tokens are never printed: each one is "
    "delivered through a one-time secure link.",
    no_args_is_help=True,
)


def _duration(text: str | None, field: str) -> timedelta | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InvalidInput(f"--{field}: {exc}", field=field) from None


@app.command("issue")
def issue(
    username: str = typer.Argument(..., help="The seller who will own the token."),
    expires_in: str | None = typer.Option(
        None, "--expires-in", help="Lifetime such as 30d or 12h (default: no expiry)."
    ),
    label: str = typer.Option("", "--label", help="A name to recognise the token by."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Issue a token and print a secure link that reveals it once."""
    settings = load_settings()
    with database_session(settings, write=True) as session:
        issued = personal_tokens.issue_token(
            session,
            settings,
            username,
            expires_in=_duration(expires_in, "expires-in"),
            label=label,
        )
    url = issued.link.url(settings.public_url)
    emit(
        {
            "token_id": issued.token_id,
            "secure_link": url,
            "link_expires_at": issued.link.expires_at,
        },
        as_json,
        f"token {issued.token_id} issued for {username}.\n"
        f"Send the seller this one-time link (expires {when(issued.link.expires_at)}):\n{url}",
    )


_WIDTHS = (6, 24, 5, 27, 27, 27, 27)


@app.command("list")
def list_(
    username: str = typer.Argument(..., help="The seller whose tokens to list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List a seller's personal tokens (never their secrets)."""
    with database_session() as session:
        seller = get_seller(session, username)
        rows = personal_tokens.list_tokens(session, seller.id)
        tokens = [
            {
                "id": row.id,
                "label": row.label,
                "last4": row.last_four,
                "created_at": row.created_at,
                "last_used_at": row.last_used_at,
                "expires_at": row.expires_at,
                "revoked_at": row.revoked_at,
            }
            for row in rows
        ]
    header = ("ID", "LABEL", "LAST4", "CREATED", "LAST USED", "EXPIRES", "REVOKED")
    table = [header] + [
        (
            str(row.id),
            row.label[:24],
            row.last_four,
            when(row.created_at),
            when(row.last_used_at),
            when(row.expires_at),
            when(row.revoked_at),
        )
        for row in rows
    ]
    lines = [
        "  ".join(f"{cell:<{width}}" for cell, width in zip(line, _WIDTHS, strict=True)).rstrip()
        for line in table
    ]
    emit({"tokens": tokens}, as_json, "\n".join(lines) if tokens else "no tokens")


@app.command("rotate")
def rotate(
    token_id: int = typer.Argument(..., help="The token to replace (e.g. because it leaked)."),
    grace: str = typer.Option(
        "0s", "--grace", help="Keep the old token working this long, e.g. 24h (default: none)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace a token: a new one through a new secure link; the old one dies."""
    settings = load_settings()
    grace_period = _duration(grace, "grace") or timedelta(0)
    with database_session(settings, write=True) as session:
        issued = personal_tokens.rotate_token(session, settings, token_id, grace=grace_period)
    url = issued.link.url(settings.public_url)
    old_state = f"stops working in {grace}" if grace_period else "is revoked now"
    emit(
        {
            "token_id": issued.token_id,
            "secure_link": url,
            "link_expires_at": issued.link.expires_at,
            "replaced_token_id": token_id,
        },
        as_json,
        f"token {token_id} {old_state}; its replacement is token {issued.token_id}.\n"
        f"One-time link to the new token:\n{url}",
    )


@app.command("revoke")
def revoke(
    token_id: int = typer.Argument(..., help="The token to deactivate."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Deactivate a token at once."""
    with database_session(write=True) as session:
        revoked_at = personal_tokens.revoke_token(session, token_id)
    emit(
        {"token_id": token_id, "revoked_at": revoked_at},
        as_json,
        f"token {token_id} revoked at {when(revoked_at)}",
    )
