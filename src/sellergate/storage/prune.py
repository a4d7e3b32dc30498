"""Pruning: removing expired and spent rows so the tables that grow with traffic stay bounded.

Each table has one rule (:data:`RULES`, applied in order: children before parents): a condition
on the row, given the time and the settings. Rows are deleted in batches,
``DELETE ... WHERE id IN (SELECT id ... LIMIT n)``, each batch its own short transaction, so
that the tables are never locked for long and a concurrent request waits at most one batch.

What is kept, and why (docs/deployment.md lists the settings):

- authorization codes, OAuth access tokens and secure links: until their expiry (or their
  revocation, or their reveal) is older than ``prune_retention``;
- personal tokens: the dashboard shows revoked and expired ones, so they stay until the
  revocation or expiry is older than ``prune_personal_token_retention``;
- refresh tokens: a spent one is what reuse detection recognises (a replay of it revokes its
  whole family, where a pruned one would merely be unknown), so it stays while its family can
  be alive: until it expires, until its grant was revoked more than ``prune_retention`` ago, or
  until it was spent more than ``prune_spent_refresh_after`` ago;
- grants: a revoked one once the revocation is past ``prune_retention``;
- consent-page requests once they expire (decided or not, they can no longer be used);
- sign-in throttling windows that ended, and browser sessions that ended (idle or absolute);
- security-log events older than ``audit_retention``; leak reports' replay memory after
  :data:`~sellergate.storage.models.LEAK_REPORT_MEMORY`.

:class:`PruneLeader` makes one process of a deployment the one that prunes periodically.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    create_engine,
    delete,
    func,
    inspect,
    or_,
    select,
    text,
)
from sqlalchemy.pool import NullPool

from sellergate.config import Settings
from sellergate.storage.models import (
    LEAK_REPORT_MEMORY,
    AccessToken,
    AuthorizationCode,
    AuthorizationRequest,
    Base,
    Grant,
    LeakReport,
    LoginAttempt,
    PushedRequest,
    RefreshToken,
    SecureLink,
    SecurityEvent,
    SpentDPoPProof,
    SpentLogoutToken,
    UpstreamSignin,
    WebSession,
)
from sellergate.storage.types import utcnow

Condition = Callable[[datetime, Settings], ColumnElement[bool]]


@dataclass(frozen=True)
class Rule:
    model: type[Base]
    condition: Condition

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


def _codes(now: datetime, s: Settings) -> ColumnElement[bool]:
    return AuthorizationCode.expires_at < now - s.prune_retention


def _refresh_tokens(now: datetime, s: Settings) -> ColumnElement[bool]:
    revoked_grants = select(Grant.id).where(Grant.revoked_at < now - s.prune_retention)
    return or_(
        RefreshToken.expires_at < now,
        RefreshToken.used_at < now - s.prune_spent_refresh_after,
        RefreshToken.grant_id.in_(revoked_grants),
    )


def _access_tokens(now: datetime, s: Settings) -> ColumnElement[bool]:
    personal = and_(AccessToken.client_id.is_(None), AccessToken.grant_id.is_(None))
    return or_(
        and_(
            ~personal,
            or_(
                AccessToken.expires_at < now - s.prune_retention,
                AccessToken.revoked_at < now - s.prune_retention,
            ),
        ),
        and_(
            personal,
            or_(
                AccessToken.expires_at < now - s.prune_personal_token_retention,
                AccessToken.revoked_at < now - s.prune_personal_token_retention,
            ),
        ),
    )


def _secure_links(now: datetime, s: Settings) -> ColumnElement[bool]:
    return or_(
        SecureLink.expires_at < now - s.prune_retention,
        SecureLink.revealed_at < now - s.prune_retention,
    )


def _grants(now: datetime, s: Settings) -> ColumnElement[bool]:
    # Its tokens went with the rules above (the foreign keys cascade to any left over).
    return Grant.revoked_at < now - s.prune_retention


def _authorization_requests(now: datetime, s: Settings) -> ColumnElement[bool]:
    return AuthorizationRequest.expires_at <= now  # decided or not, it can no longer be


def _login_attempts(now: datetime, s: Settings) -> ColumnElement[bool]:
    return LoginAttempt.expires_at <= now  # a window that ended counts nothing any more


def _web_sessions(now: datetime, s: Settings) -> ColumnElement[bool]:
    return WebSession.expires_at <= now  # idle or past its absolute end: dead either way


def _security_events(now: datetime, s: Settings) -> ColumnElement[bool]:
    return SecurityEvent.created_at < now - s.audit_retention


def _leak_reports(now: datetime, s: Settings) -> ColumnElement[bool]:
    return LeakReport.created_at < now - LEAK_REPORT_MEMORY


def _upstream_signins(now: datetime, s: Settings) -> ColumnElement[bool]:
    return UpstreamSignin.expires_at <= now  # a sign-in never finished at the provider


def _spent_logout_tokens(now: datetime, s: Settings) -> ColumnElement[bool]:
    return SpentLogoutToken.expires_at <= now  # a replay would be refused as expired anyway


def _spent_dpop_proofs(now: datetime, s: Settings) -> ColumnElement[bool]:
    return SpentDPoPProof.expires_at <= now  # a replay would be refused as too old anyway


def _pushed_requests(now: datetime, s: Settings) -> ColumnElement[bool]:
    return PushedRequest.expires_at <= now  # never used at the authorization endpoint


RULES: tuple[Rule, ...] = (
    Rule(AuthorizationCode, _codes),
    Rule(AuthorizationRequest, _authorization_requests),
    Rule(RefreshToken, _refresh_tokens),
    Rule(AccessToken, _access_tokens),
    Rule(SecureLink, _secure_links),
    Rule(Grant, _grants),
    Rule(LoginAttempt, _login_attempts),
    Rule(WebSession, _web_sessions),
    Rule(SecurityEvent, _security_events),
    Rule(LeakReport, _leak_reports),
    Rule(UpstreamSignin, _upstream_signins),
    Rule(SpentLogoutToken, _spent_logout_tokens),
    Rule(SpentDPoPProof, _spent_dpop_proofs),
    Rule(PushedRequest, _pushed_requests),
)


def prune(engine: Engine, settings: Settings, *, dry_run: bool = False) -> dict[str, int]:
    """Delete (or, with ``dry_run``, count) every prunable row; the number per table."""
    now = utcnow()
    counts: dict[str, int] = {}
    for rule in RULES:
        model: type[Base] = rule.model
        (primary,) = inspect(model).primary_key  # every pruned table has a one-column key
        condition = rule.condition(now, settings)
        if dry_run:
            with engine.connect() as conn:
                counts[rule.table] = conn.execute(
                    select(func.count()).select_from(model).where(condition)
                ).scalar_one()
            continue
        batch = select(primary).where(condition).limit(settings.prune_batch_size)
        statement = delete(model).where(primary.in_(batch.scalar_subquery()))
        total = 0
        while True:
            with engine.begin() as conn:
                removed = conn.execute(statement).rowcount
            total += removed
            if removed < settings.prune_batch_size:
                break
        counts[rule.table] = total
    return counts


# pg_try_advisory_lock's key: any constant of our own, the same on every node.
ADVISORY_KEY = 0x5E11E6A7E


class PruneLeader:
    """Which process prunes: the one holding a lock for as long as it lives.

    On PostgreSQL the lock is a session advisory lock on a connection of its own, so every node
    and worker of a deployment agrees, and a node that dies (or loses that connection) frees it
    for another. On SQLite, which one machine serves, it is an exclusive ``flock`` on a file
    beside the database, so that one worker of the node prunes.
    """

    def __init__(self, settings: Settings) -> None:
        self.url = settings.sqlalchemy_url
        self._connection: Connection | None = None
        self._engine: Engine | None = None
        self._file: IO[bytes] | None = None

    def lead(self) -> bool:
        """Whether this process is (or has just become) the leader."""
        if self.url.startswith("sqlite"):
            return self._lead_sqlite()
        return self._lead_postgresql()

    def _lead_sqlite(self) -> bool:
        if self._file is not None:
            return True
        path = self.url.removeprefix("sqlite:///") or "sellergate.db"
        handle = Path(path + ".prune-lock").open("ab")  # noqa: SIM115 (held while leading)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def _lead_postgresql(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                self.release()  # the connection, and with it the lock, is gone
        if self._engine is None:
            self._engine = create_engine(self.url, poolclass=NullPool)
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        acquired = connection.execute(select(func.pg_try_advisory_lock(ADVISORY_KEY))).scalar_one()
        if not acquired:
            connection.close()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
