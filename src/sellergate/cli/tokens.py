"""``sellergate tokens``: personal API tokens, delivered only through secure links."""

from __future__ import annotations

import sys
from datetime import timedelta

import typer
from sqlalchemy.orm import Session

from sellergate.accounts import personal_tokens
from sellergate.accounts.audit import Actor, Detail, EventKind, record_event
from sellergate.accounts.leaks import Outcome, handle_leak
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


def _record(session: Session, kind: EventKind, token_id: int, details: dict[str, Detail]) -> None:
    """Log a change the platform team made to a seller's token."""
    seller_id = personal_tokens.get_personal_token(session, token_id).seller_id
    record_event(session, kind, actor=Actor.PLATFORM, seller_id=seller_id, details=details)


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
        _record(
            session,
            EventKind.TOKEN_ISSUED,
            issued.token_id,
            {"token_id": issued.token_id, "label": label},
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
                "status": row.status.value,
            }
            for row in rows
        ]
    header = ("ID", "LABEL", "LAST4", "CREATED", "LAST USED", "EXPIRES", "STATUS")
    table = [header] + [
        (
            str(row.id),
            row.label[:24],
            row.last_four,
            when(row.created_at),
            when(row.last_used_at),
            when(row.expires_at),
            row.status.value,
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
        _record(
            session,
            EventKind.TOKEN_ROTATED,
            token_id,
            {
                "token_id": token_id,
                "new_token_id": issued.token_id,
                "grace_seconds": int(grace_period.total_seconds()),
            },
        )
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
        _record(session, EventKind.TOKEN_REVOKED, token_id, {"token_id": token_id})
    emit(
        {"token_id": token_id, "revoked_at": revoked_at},
        as_json,
        f"token {token_id} revoked at {when(revoked_at)}",
    )


_DONE = {
    Outcome.ROTATED: "it is revoked and replaced by token {new}; send its seller this one-time "
    "link to the new token:\n{link}",
    Outcome.REVOKED: "it was already replaced and still in its grace period: it is revoked now; "
    "its replacement stands",
    Outcome.GRANT_REVOKED: "it was an app's token: the seller's authorization of {client} and "
    "every token of it are revoked",
    Outcome.ALREADY_DEAD: "it was already dead (revoked, expired or spent); nothing to do",
    Outcome.NOT_OURS: "it is not a token of this server; nothing to do",
}


@app.command("report-leak")
def report_leak(
    url: str = typer.Option("", "--url", help="Where the token was found, for the log."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Handle a leaked token read from stdin: revoke it at once (a personal token is replaced)."""
    token = sys.stdin.readline().strip()
    if not token:
        raise InvalidInput("give the leaked token on stdin")
    settings = load_settings()
    with database_session(settings, write=True) as session:
        result = handle_leak(session, settings, token, actor=Actor.PLATFORM, url=url, source="cli")
    found, new = result.token, result.replacement
    data = {
        "ours": result.ours,
        "token_id": found.token_id if found else None,
        "token_type": (found.kind.name.lower() if found else None),
        "outcome": result.outcome.value,
        "new_token_id": new.token_id if new else None,
        "secure_link": new.link.url(settings.public_url) if new else None,
        "link_expires_at": new.link.expires_at if new else None,
    }
    human = _DONE[result.outcome].format(
        new=data["new_token_id"], link=data["secure_link"], client=found.client_id if found else ""
    )
    emit(data, as_json, (f"token {found.token_id}: " if found else "") + human)
