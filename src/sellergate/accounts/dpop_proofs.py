"""Where accepted DPoP proofs are remembered (RFC 9449 §11.1), so that each is accepted once on
every worker and node: a table with a conditional insert, or Redis ``SET NX`` when
``SELLERGATE_REDIS_URL`` is set. Keys are hashes (fixed size whatever a client sends), and they
are forgotten once a replay would be refused as too old anyway.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from sellergate.config import Settings
from sellergate.oauth.dpop import ReplayCache
from sellergate.storage.cadence import Cadence
from sellergate.storage.database import Database
from sellergate.storage.models import SpentDPoPProof
from sellergate.storage.redisstore import redis_client
from sellergate.storage.types import utcnow

PRUNE_EVERY_SECONDS = 60.0


class DatabaseReplayCache:
    """``spent_dpop_proofs``: INSERT ... ON CONFLICT DO NOTHING RETURNING, the same on SQLite and
    PostgreSQL; of concurrent inserts of one key exactly one returns a row."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = sqlite.insert if db.engine.dialect.name == "sqlite" else postgresql.insert
        self._prune_cadence = Cadence(PRUNE_EVERY_SECONDS)

    def first_use(self, key: str, seconds: int) -> bool:
        now = utcnow()
        statement = (
            self._insert(SpentDPoPProof)
            .values(key_hash=key, expires_at=now + timedelta(seconds=seconds))
            .on_conflict_do_nothing(index_elements=["key_hash"])
            .returning(SpentDPoPProof.key_hash)
        )
        with self.db.session(write=True) as session:
            inserted = session.execute(statement).scalar_one_or_none()
        self._prune()
        return inserted is not None

    def _prune(self) -> None:
        """Forget proofs past their window, at most once a minute per process."""
        if not self._prune_cadence.due():
            return
        with self.db.session(write=True) as session:
            session.execute(delete(SpentDPoPProof).where(SpentDPoPProof.expires_at <= utcnow()))


class RedisReplayCache:
    """``SET key 1 NX EX seconds``: atomic in Redis, expired by Redis itself."""

    def __init__(self, url: str) -> None:
        self.client = redis_client(url)

    def first_use(self, key: str, seconds: int) -> bool:
        return bool(self.client.set(f"sellergate-dpop:{key}", "1", nx=True, ex=seconds))


def make_replay_cache(settings: Settings, db: Database) -> ReplayCache:
    if settings.redis_url:
        return RedisReplayCache(settings.redis_url)
    return DatabaseReplayCache(db)
