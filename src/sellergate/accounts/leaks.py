"""Leaked tokens: find whose a token is and kill it at once.

A report names a token found in public (by a secret scanner or by hand). If it is ours and
live: a personal token is revoked and replaced (the new one reaches its seller through a
one-time link), an OAuth access or refresh token takes its whole grant with it. Every report of
a token of ours is written to the security log. Only hashes are looked up and nothing of the
token itself is kept: the log names the token by its id.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sellergate.accounts.audit import Actor, EventKind, record_event
from sellergate.accounts.families import revoke_family
from sellergate.accounts.personal_tokens import (
    IssuedToken,
    replacement_of,
    revoke_token,
    rotate_token,
)
from sellergate.config import Settings
from sellergate.oauth.records import RevocationReason
from sellergate.storage.models import (
    LEAK_REPORT_MEMORY,
    AccessToken,
    Client,
    LeakReport,
    RefreshToken,
    SecurityEvent,
)
from sellergate.storage.types import utcnow
from sellergate.tokens.format import MalformedToken, TokenKind, parse
from sellergate.tokens.hashing import token_hash

# How long a signed report body is remembered, so that it cannot be replayed.
REPLAY_MEMORY = LEAK_REPORT_MEMORY


class Outcome(enum.StrEnum):
    ROTATED = "rotated"  # a live personal token: revoked, a replacement issued
    # A personal token already replaced, in its grace period: revoked, the replacement stands.
    REVOKED = "revoked"
    GRANT_REVOKED = "grant_revoked"  # a live OAuth token: its grant and all its tokens
    ALREADY_DEAD = "already_dead"
    NOT_OURS = "not_ours"


@dataclass(frozen=True, slots=True)
class FoundToken:
    kind: TokenKind
    token_id: int
    seller_id: int
    grant_id: int | None
    client_id: str | None
    live: bool


@dataclass(frozen=True, slots=True)
class LeakResult:
    outcome: Outcome
    token: FoundToken | None = None
    replacement: IssuedToken | None = None

    @property
    def ours(self) -> bool:
        return self.token is not None

    @property
    def acted(self) -> bool:
        return self.outcome in (Outcome.ROTATED, Outcome.REVOKED, Outcome.GRANT_REVOKED)


def find_token(session: Session, token: str, *, staging: bool) -> FoundToken | None:
    """An access or refresh token of this server (and this environment), live or dead."""
    try:
        parsed = parse(token.strip())
    except MalformedToken:
        return None
    if parsed.staging != staging or parsed.kind is TokenKind.CLIENT_SECRET:
        return None
    digest = token_hash(token.strip())
    now = utcnow()
    if parsed.kind is TokenKind.ACCESS:
        access = session.execute(
            select(AccessToken, Client.client_id)
            .outerjoin(Client, Client.id == AccessToken.client_id)
            .where(AccessToken.token_hash == digest)
        ).one_or_none()
        if access is None:
            return None
        row, client_id = access
        live = row.revoked_at is None and (row.expires_at is None or row.expires_at > now)
        return FoundToken(parsed.kind, row.id, row.seller_id, row.grant_id, client_id, live)
    refresh = session.execute(
        select(RefreshToken, Client.client_id)
        .join(Client, Client.id == RefreshToken.client_id)
        .where(RefreshToken.token_hash == digest)
    ).one_or_none()
    if refresh is None:
        return None
    rrow, client_id = refresh
    live = rrow.revoked_at is None and rrow.used_at is None and rrow.expires_at > now
    return FoundToken(parsed.kind, rrow.id, rrow.seller_id, rrow.grant_id, client_id, live)


def record_token_revealed(session: Session, settings: Settings, token: str, address: str) -> None:
    """Log that a personal token's one-time link was opened (by its id, never its value)."""
    found = find_token(session, token, staging=not settings.production)
    if found is not None:
        record_event(
            session,
            EventKind.TOKEN_REVEALED,
            actor=Actor.SELLER,
            seller_id=found.seller_id,
            address=address,
            details={"token_id": found.token_id},
        )


def handle_leak(
    session: Session,
    settings: Settings,
    token: str,
    *,
    actor: Actor,
    url: str = "",
    source: str = "",
) -> LeakResult:
    """Kill a leaked token and log it; the result says what was done.

    A live personal token is rotated with no grace: the old one is dead in this transaction.
    The replacement's link is returned for the platform team's CLI to pass on; a report from
    a scanner drops it, and the seller picks the replacement up on the dashboard (see
    :func:`pending_replacements`).
    """
    found = find_token(session, token, staging=not settings.production)
    if found is None:
        return LeakResult(Outcome.NOT_OURS)
    replacement = None
    replaced_by = None
    if not found.live:
        outcome = Outcome.ALREADY_DEAD
    elif found.grant_id is not None:
        revoke_family(session, found.grant_id, RevocationReason.LEAKED)
        outcome = Outcome.GRANT_REVOKED
    elif (replaced_by := replacement_of(session, found.token_id)) is not None:
        revoke_token(session, found.token_id)
        outcome = Outcome.REVOKED
    else:
        replacement = rotate_token(session, settings, found.token_id)
        outcome = Outcome.ROTATED
    details: dict[str, str | int | bool | None] = {
        "token_id": found.token_id,
        "token_type": "refresh" if found.kind is TokenKind.REFRESH else "access",
        "personal": found.grant_id is None,
        "outcome": outcome.value,
        "url": url or None,
        "source": source or None,
    }
    if replacement is not None:
        details["new_token_id"] = replacement.token_id
    if replaced_by is not None:
        details["replaced_by"] = replaced_by
    record_event(
        session,
        EventKind.TOKEN_LEAKED,
        actor=actor,
        seller_id=found.seller_id,
        client_id=found.client_id,
        details=details,
    )
    return LeakResult(outcome, found, replacement)


def remember_report(session: Session, body_hash: str) -> bool:
    """Record a report body's hash; False if it was seen before (a replay)."""
    try:
        with session.begin_nested():
            session.execute(insert(LeakReport).values(body_hash=body_hash, created_at=utcnow()))
    except IntegrityError:
        return False
    return True


def forget_old_reports(session: Session) -> None:
    session.execute(delete(LeakReport).where(LeakReport.created_at < utcnow() - REPLAY_MEMORY))


@dataclass(frozen=True, slots=True)
class PendingReplacement:
    """A personal token replaced after a leak report whose new value the seller has not seen."""

    reported_at: datetime
    label: str
    token_id: int  # the replacement, to be rotated once more to reveal a value
    url: str | None


def pending_replacements(session: Session, seller_id: int) -> list[PendingReplacement]:
    """Replacements issued by leak reports that the seller still has to pick up.

    The replacement's own link went nowhere (a reporter is not the seller), so the dashboard
    offers to rotate it once more, which hands the seller a fresh link. A replacement that has
    been revealed (e.g. through the link the CLI printed), used or replaced since is picked up
    already.
    """
    events = session.execute(
        select(SecurityEvent.kind, SecurityEvent.created_at, SecurityEvent.details)
        .where(
            SecurityEvent.seller_id == seller_id,
            SecurityEvent.kind.in_([EventKind.TOKEN_LEAKED.value, EventKind.TOKEN_REVEALED.value]),
            SecurityEvent.created_at > utcnow() - REPLAY_MEMORY,
        )
        .order_by(SecurityEvent.id)
    ).all()
    wanted: dict[int, tuple[datetime, str | None]] = {}
    for kind, created_at, text in events:
        details = json.loads(text)
        if kind == EventKind.TOKEN_REVEALED:
            wanted.pop(details.get("token_id"), None)
        elif details.get("outcome") == Outcome.ROTATED and details.get("new_token_id"):
            wanted[int(details["new_token_id"])] = (created_at, details.get("url"))
    if not wanted:
        return []
    now = utcnow()
    rows = session.scalars(
        select(AccessToken).where(
            AccessToken.id.in_(wanted),
            AccessToken.seller_id == seller_id,
            AccessToken.revoked_at.is_(None),
            AccessToken.replaced_by_id.is_(None),
            AccessToken.last_used_at.is_(None),
        )
    )
    return [
        PendingReplacement(wanted[row.id][0], row.label, row.id, wanted[row.id][1])
        for row in rows
        if row.expires_at is None or row.expires_at > now
    ]
