"""Pruning: what goes and what stays, in batches, with a dry run that counts the same rows;
and the leadership lock that lets one process of a deployment prune."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, inspect, select

from cliinvoke import invoke
from sellergate.accounts.sellers import create_seller
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.models import (
    AccessToken,
    AuthorizationCode,
    AuthorizationRequest,
    Base,
    Client,
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
from sellergate.storage.prune import PruneLeader, prune
from sellergate.storage.types import utcnow

DAY = timedelta(days=1)


class Rows:
    """Rows of every prunable kind, each named for whether pruning must remove it."""

    def __init__(self, db: Database) -> None:
        now = utcnow()
        self.number = 0
        with db.session(write=True) as session:
            seller = create_seller(session, "alice", "a@example.com", "a-long-password")
            client = Client(
                client_id="app", name="App", redirect_uris="http://x/cb", scopes="read:orders"
            )
            session.add(client)
            session.flush()
            live = Grant(seller_id=seller.id, client_id=client.id, scopes="read:orders")
            dead = Grant(
                seller_id=seller.id, client_id=client.id, scopes="", revoked_at=now - 8 * DAY
            )
            recent = Grant(
                seller_id=seller.id, client_id=client.id, scopes="", revoked_at=now - DAY
            )
            session.add_all([live, dead, recent])
            session.flush()
            self.ids = {"seller": seller.id, "client": client.id}

            def refresh(grant: Grant, expires: datetime, used: datetime | None) -> RefreshToken:
                return RefreshToken(
                    token_hash=self.digest(), grant_id=grant.id, client_id=client.id,
                    seller_id=seller.id, scopes="", staging=True, expires_at=expires,
                    used_at=used,
                )  # fmt: skip

            def access(
                grant: Grant | None, expires: datetime | None, revoked: datetime | None = None
            ) -> AccessToken:
                return AccessToken(
                    token_hash=self.digest(), seller_id=seller.id,
                    client_id=client.id if grant else None, grant_id=grant.id if grant else None,
                    scopes="", staging=True, last_four="abcd", expires_at=expires,
                    revoked_at=revoked,
                )  # fmt: skip

            def code(expires: datetime) -> AuthorizationCode:
                return AuthorizationCode(
                    code_hash=self.digest(), client_id=client.id, seller_id=seller.id,
                    redirect_uri="http://x/cb", scopes="", expires_at=expires,
                )  # fmt: skip

            def link(expires: datetime, revealed: datetime | None) -> SecureLink:
                return SecureLink(
                    link_hash=self.digest(), purpose="personal_token", subject="s",
                    ciphertext=b"x", expires_at=expires, revealed_at=revealed,
                )  # fmt: skip

            def attempts(expires: datetime) -> LoginAttempt:
                return LoginAttempt(key=self.digest(), count=3, expires_at=expires)

            def browser_session(expires: datetime) -> WebSession:
                return WebSession(
                    id_hash=self.digest(), seller_id=seller.id, last_seen_at=now,
                    expires_at=expires, ends_at=now + DAY,
                )  # fmt: skip

            def event(created: datetime) -> SecurityEvent:
                return SecurityEvent(
                    kind="signin.failed", seller_id=seller.id, actor="seller", created_at=created
                )

            def consent(expires: datetime) -> AuthorizationRequest:
                return AuthorizationRequest(
                    reference_hash=self.digest(), seller_id=seller.id, client_id=client.id,
                    query="response_type=code", expires_at=expires,
                )  # fmt: skip

            def report(created: datetime) -> LeakReport:
                return LeakReport(body_hash=self.digest(), created_at=created)

            def upstream(expires: datetime) -> UpstreamSignin:
                return UpstreamSignin(
                    state_hash=self.digest(), browser_hash="b", next_url="/", expires_at=expires
                )

            def logout(expires: datetime) -> SpentLogoutToken:
                return SpentLogoutToken(jti_hash=self.digest(), expires_at=expires)

            def proof(expires: datetime) -> SpentDPoPProof:
                return SpentDPoPProof(key_hash=self.digest(), expires_at=expires)

            def pushed(expires: datetime) -> PushedRequest:
                return PushedRequest(
                    uri_hash=self.digest(), client_id=client.id, query="a=b", expires_at=expires
                )

            self.gone = [
                upstream(now - timedelta(seconds=1)),  # a sign-in never finished
                logout(now - timedelta(seconds=1)),  # a replay is refused as expired anyway
                proof(now - timedelta(seconds=1)),  # a replay is refused as too old anyway
                pushed(now - timedelta(seconds=1)),  # its request_uri expired unused
                consent(now - timedelta(seconds=1)),  # can no longer be decided
                attempts(now - timedelta(seconds=1)),  # its window ended
                browser_session(now - timedelta(minutes=1)),  # idle or past its end
                event(now - 366 * DAY),  # past the audit retention
                report(now - 31 * DAY),  # past the replay memory
                *[refresh(live, now - DAY, None) for _ in range(5)],  # expired
                refresh(live, now + DAY, now - 400 * DAY),  # spent long ago
                *[refresh(dead, now + DAY, now - DAY) for _ in range(3)],  # family revoked
                *[access(live, now - 8 * DAY) for _ in range(4)],
                access(live, now + DAY, now - 8 * DAY),
                access(None, now - 31 * DAY),
                access(None, None, now - 31 * DAY),
                *[code(now - 8 * DAY) for _ in range(3)],
                link(now - 8 * DAY, None),
                link(now + DAY, now - 8 * DAY),
            ]
            self.kept = [
                upstream(now + timedelta(minutes=5)),
                logout(now + timedelta(minutes=5)),
                consent(now + timedelta(minutes=5)),
                attempts(now + timedelta(minutes=1)),
                browser_session(now + timedelta(hours=1)),
                event(now - 364 * DAY),
                report(now - 29 * DAY),
                refresh(live, now + DAY, now - DAY),  # spent, family alive: reuse detection
                refresh(live, now + DAY, None),
                refresh(recent, now + DAY, now - DAY),  # family revoked only lately
                access(live, now - DAY),
                access(live, now + DAY, now - DAY),
                access(None, now - 29 * DAY),  # the dashboard still shows it
                access(None, None, now - 10 * DAY),
                access(None, None),
                code(now - DAY),
                code(now + DAY),
                proof(now + timedelta(minutes=5)),
                pushed(now + timedelta(seconds=60)),
                link(now + DAY, None),
                link(now - DAY, now - DAY),
            ]
            session.add_all([*self.gone, *self.kept])
            session.flush()
            self.dead_grant = dead.id
            self.kept_keys = {(type(row).__tablename__, key_of(row)) for row in self.kept}
            self.kept_keys |= {("grants", live.id), ("grants", recent.id)}

    def digest(self) -> str:
        self.number += 1
        return f"{self.number:064x}"

    def expected(self) -> dict[str, int]:
        counts = {table: 0 for table in TABLES}
        for row in self.gone:
            counts[type(row).__tablename__] += 1
        counts["grants"] = 1
        return counts


MODELS: dict[str, type[Base]] = {
    model.__tablename__: model
    for model in (
        AuthorizationCode,
        AuthorizationRequest,
        RefreshToken,
        AccessToken,
        SecureLink,
        Grant,
        LoginAttempt,
        WebSession,
        SecurityEvent,
        LeakReport,
        UpstreamSignin,
        SpentLogoutToken,
        SpentDPoPProof,
        PushedRequest,
    )
}
TABLES = tuple(MODELS)


def key_of(row: Base) -> object:
    (key,) = inspect(type(row)).primary_key
    assert key.key is not None
    return getattr(row, key.key)


def remaining(db: Database) -> set[tuple[str, object]]:
    with db.session() as session:
        return {
            (table, key)
            for table, model in MODELS.items()
            for key in session.scalars(select(*inspect(model).primary_key))
        }


def test_prune_removes_exactly_what_has_expired_or_been_spent(
    db: Database, settings: Settings
) -> None:
    rows = Rows(db)
    before = remaining(db)
    small = settings.model_copy(update={"prune_batch_size": 2})
    assert prune(db.engine, small, dry_run=True) == rows.expected()
    assert remaining(db) == before
    assert prune(db.engine, small) == rows.expected()
    assert remaining(db) == rows.kept_keys
    assert prune(db.engine, small) == dict.fromkeys(TABLES, 0)


def test_prune_command_prints_counts(db: Database, settings: Settings) -> None:
    rows = Rows(db)
    env = {
        "SELLERGATE_DATABASE_URL": settings.database_url,
        "SELLERGATE_DATA_DIR": str(settings.data_dir),
    }
    for args, dry in ((["--dry-run"], True), ([], False)):
        result = invoke(["db", "prune", *args, "--json"], env=env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"dry_run": dry, "tables": rows.expected()}
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(RefreshToken)) == 3


def test_one_leader_at_a_time(db: Database, settings: Settings) -> None:
    first, second = PruneLeader(settings), PruneLeader(settings)
    try:
        assert first.lead()
        assert first.lead()  # still leading
        assert not second.lead()
        first.release()
        assert second.lead()
        assert not first.lead()
    finally:
        first.close()
        second.close()
