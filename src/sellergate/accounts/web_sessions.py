"""Server-side sessions of signed-in sellers, in the database or in Redis.

The browser holds an opaque random id (256 bits); the store keeps only its SHA-256, so a copy
of the table (or of Redis) opens no session. A session ends when the seller signs out (it is
deleted, so a copied cookie is dead at once), after ``session_idle`` without a request, or at
``session_lifetime`` after sign-in, whichever comes first. Every method does blocking I/O:
call them off the event loop.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select, update

from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.models import Seller, WebSession
from sellergate.storage.redisstore import redis_client
from sellergate.storage.types import utcnow
from sellergate.tokens.hashing import token_hash

# Last-seen times are written at most this often per session, not on every page.
TOUCH_EVERY = timedelta(minutes=1)


def touch_every(settings: Settings) -> timedelta:
    """How often a session's idle deadline moves on: at most :data:`TOUCH_EVERY`, and at least
    twice per idle period, so a session in use never idles out between two writes."""
    return min(TOUCH_EVERY, settings.session_idle / 2)


MAX_USER_AGENT = 200
MAX_ADDRESS = 45


@dataclass(frozen=True, slots=True)
class ActiveSession:
    id: str  # a handle for the sessions page; not the cookie's id
    seller_id: int
    username: str
    flash: str | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    created_at: datetime
    last_seen_at: datetime
    user_agent: str
    address: str


class SessionStore(Protocol):
    def start(
        self,
        seller_id: int,
        username: str,
        *,
        user_agent: str,
        address: str,
        replacing: str | None = None,
        upstream_sid: str | None = None,
    ) -> str:
        """A new session; the raw id is returned once, for the cookie.

        ``replacing`` (the id the browser had before) is ended: the id always changes at
        sign-in, so an id planted before it (session fixation) is worth nothing.
        ``upstream_sid`` is the upstream provider's session id for a sign-in through it
        (only its hash is kept), for :meth:`end_upstream`.
        """
        ...

    def load(self, raw: str) -> ActiveSession | None:
        """The live session behind ``raw``, touched, with its flash message taken; else None."""
        ...

    def set_flash(self, active: ActiveSession, message: str) -> None:
        """A message shown once, on the session's next page."""
        ...

    def end(self, raw: str) -> int | None:
        """End the session behind ``raw``; the seller it belonged to, if any."""
        ...

    def end_others(self, seller_id: int, keep: ActiveSession) -> int:
        """Sign the seller out everywhere but ``keep``; how many sessions ended."""
        ...

    def list(self, seller_id: int) -> list[SessionRow]:
        """The seller's live sessions, most recently seen first."""
        ...

    def end_upstream(self, seller_id: int, upstream_sid: str | None) -> int:
        """End the seller's sessions started under the upstream session ``upstream_sid``, or
        all of them when it is None (a back-channel logout); how many ended."""
        ...


class DatabaseSessions:
    """Sessions in ``web_sessions``; ``expires_at`` says which rows are dead (for pruning)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.touch_every = touch_every(settings)
        self.db = db

    def start(
        self,
        seller_id: int,
        username: str,
        *,
        user_agent: str,
        address: str,
        replacing: str | None = None,
        upstream_sid: str | None = None,
    ) -> str:
        raw = secrets.token_urlsafe(32)
        now = utcnow()
        ends_at = now + self.settings.session_lifetime
        with self.db.session(write=True) as session:
            if replacing:
                session.execute(
                    delete(WebSession).where(WebSession.id_hash == token_hash(replacing))
                )
            session.add(
                WebSession(
                    id_hash=token_hash(raw),
                    seller_id=seller_id,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=min(ends_at, now + self.settings.session_idle),
                    ends_at=ends_at,
                    user_agent=user_agent[:MAX_USER_AGENT],
                    address=address[:MAX_ADDRESS],
                    upstream_sid_hash=token_hash(upstream_sid) if upstream_sid else None,
                )
            )
        return raw

    def load(self, raw: str) -> ActiveSession | None:
        # A read first: most pages change nothing, and on SQLite a writing transaction would
        # take the database's write lock for every page view.
        digest = token_hash(raw)
        with self.db.session() as session:
            found = session.execute(
                select(WebSession, Seller.username)
                .join(Seller, Seller.id == WebSession.seller_id)
                .where(WebSession.id_hash == digest)
            ).one_or_none()
        if found is None:
            return None
        row, username = found
        now = utcnow()
        if row.expires_at <= now:
            with self.db.session(write=True) as session:
                session.execute(delete(WebSession).where(WebSession.id == row.id))
            return None
        if row.flash is not None or now - row.last_seen_at >= self.touch_every:
            with self.db.session(write=True) as session:
                session.execute(
                    update(WebSession)
                    .where(WebSession.id == row.id)
                    .values(
                        flash=None,
                        last_seen_at=now,
                        expires_at=min(row.ends_at, now + self.settings.session_idle),
                    )
                )
        return ActiveSession(str(row.id), row.seller_id, username, row.flash)

    def set_flash(self, active: ActiveSession, message: str) -> None:
        with self.db.session(write=True) as session:
            session.execute(
                update(WebSession).where(WebSession.id == int(active.id)).values(flash=message)
            )

    def end(self, raw: str) -> int | None:
        with self.db.session(write=True) as session:
            return session.execute(
                delete(WebSession)
                .where(WebSession.id_hash == token_hash(raw))
                .returning(WebSession.seller_id)
            ).scalar_one_or_none()

    def end_others(self, seller_id: int, keep: ActiveSession) -> int:
        with self.db.session(write=True) as session:
            ended = session.execute(
                delete(WebSession)
                .where(WebSession.seller_id == seller_id, WebSession.id != int(keep.id))
                .returning(WebSession.id)
            ).all()
        return len(ended)

    def end_upstream(self, seller_id: int, upstream_sid: str | None) -> int:
        statement = delete(WebSession).where(WebSession.seller_id == seller_id)
        if upstream_sid is not None:
            statement = statement.where(WebSession.upstream_sid_hash == token_hash(upstream_sid))
        with self.db.session(write=True) as session:
            return len(session.execute(statement.returning(WebSession.id)).all())

    def list(self, seller_id: int) -> list[SessionRow]:
        with self.db.session() as session:
            rows = session.scalars(
                select(WebSession)
                .where(WebSession.seller_id == seller_id, WebSession.expires_at > utcnow())
                .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
            )
            return [
                SessionRow(
                    str(row.id), row.created_at, row.last_seen_at, row.user_agent, row.address
                )
                for row in rows
            ]


# Sets a field only on a session that still exists: a plain HSET on an expired key would
# bring it back without an expiry.
_SET_IF_EXISTS = """
if redis.call('exists', KEYS[1]) == 1 then
  return redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
end
return 0
"""


class RedisSessions:
    """Sessions in Redis: a hash per session that expires when the session does (idle or
    absolute), and a sorted set per seller (scored by the absolute end) for the sessions page
    and "sign out everywhere else"."""

    def __init__(self, settings: Settings, url: str) -> None:
        self.settings = settings
        self.touch_every = touch_every(settings).total_seconds()
        self.client = redis_client(url)
        self._set_if_exists = self.client.register_script(_SET_IF_EXISTS)

    @staticmethod
    def _key(digest: str) -> str:
        return f"sellergate:session:{digest}"

    @staticmethod
    def _index(seller_id: int) -> str:
        return f"sellergate:seller-sessions:{seller_id}"

    def _ttl(self, now: float, ends_at: float) -> int:
        return max(1, int(min(self.settings.session_idle.total_seconds(), ends_at - now)))

    def start(
        self,
        seller_id: int,
        username: str,
        *,
        user_agent: str,
        address: str,
        replacing: str | None = None,
        upstream_sid: str | None = None,
    ) -> str:
        if replacing:
            self.end(replacing)
        raw = secrets.token_urlsafe(32)
        digest = token_hash(raw)
        now = time.time()
        ends_at = now + self.settings.session_lifetime.total_seconds()
        pipe = self.client.pipeline()
        pipe.hset(
            self._key(digest),
            mapping={
                "seller_id": seller_id,
                "username": username,
                "created_at": now,
                "last_seen_at": now,
                "ends_at": ends_at,
                "user_agent": user_agent[:MAX_USER_AGENT],
                "address": address[:MAX_ADDRESS],
                "upstream_sid": token_hash(upstream_sid) if upstream_sid else "",
            },
        )
        pipe.expire(self._key(digest), self._ttl(now, ends_at))
        pipe.zadd(self._index(seller_id), {digest: ends_at})
        pipe.zremrangebyscore(self._index(seller_id), "-inf", now)
        pipe.expire(self._index(seller_id), int(self.settings.session_lifetime.total_seconds()))
        pipe.execute()
        return raw

    def load(self, raw: str) -> ActiveSession | None:
        digest = token_hash(raw)
        fields = {str(k): str(v) for k, v in self.client.hgetall(self._key(digest)).items()}
        if not fields:
            return None
        now = time.time()
        ends_at = float(fields["ends_at"])
        if ends_at <= now:
            self.client.delete(self._key(digest))
            return None
        flash = fields.get("flash")
        if flash is not None or now - float(fields["last_seen_at"]) >= self.touch_every:
            self._touch(digest, now, ends_at)
        return ActiveSession(digest[:16], int(fields["seller_id"]), fields["username"], flash)

    def _touch(self, digest: str, now: float, ends_at: float) -> None:
        """Seen now: the idle deadline moves on and a shown flash message goes. Only on a
        session that still exists: the key may have expired since it was read, and a plain
        HSET would bring it back half-empty, with no expiry."""
        pipe = self.client.pipeline()
        self._set_if_exists(keys=[self._key(digest)], args=["last_seen_at", now], client=pipe)
        pipe.hdel(self._key(digest), "flash")
        pipe.expire(self._key(digest), self._ttl(now, ends_at))
        pipe.execute()

    def _members(self, seller_id: int) -> list[str]:
        return [str(member) for member in self.client.zrange(self._index(seller_id), 0, -1)]

    def _find(self, seller_id: int, handle: str) -> str | None:
        return next((d for d in self._members(seller_id) if d.startswith(handle)), None)

    def set_flash(self, active: ActiveSession, message: str) -> None:
        digest = self._find(active.seller_id, active.id)
        if digest is not None:
            self._set_if_exists(keys=[self._key(digest)], args=["flash", message])

    def end(self, raw: str) -> int | None:
        digest = token_hash(raw)
        seller_id = self.client.hget(self._key(digest), "seller_id")
        if seller_id is None or not self.client.delete(self._key(digest)):
            return None
        self.client.zrem(self._index(int(seller_id)), digest)
        return int(seller_id)

    def end_others(self, seller_id: int, keep: ActiveSession) -> int:
        others = [d for d in self._members(seller_id) if not d.startswith(keep.id)]
        if not others:
            return 0
        ended = int(self.client.delete(*[self._key(digest) for digest in others]))
        self.client.zrem(self._index(seller_id), *others)
        return ended

    def end_upstream(self, seller_id: int, upstream_sid: str | None) -> int:
        members = self._members(seller_id)
        if upstream_sid is not None:
            pipe = self.client.pipeline()
            for digest in members:
                pipe.hget(self._key(digest), "upstream_sid")
            wanted = token_hash(upstream_sid)
            members = [
                digest for digest, sid in zip(members, pipe.execute(), strict=True) if sid == wanted
            ]
        if not members:
            return 0
        ended = int(self.client.delete(*[self._key(digest) for digest in members]))
        self.client.zrem(self._index(seller_id), *members)
        return ended

    def list(self, seller_id: int) -> list[SessionRow]:
        index = self._index(seller_id)
        self.client.zremrangebyscore(index, "-inf", time.time())
        digests = self._members(seller_id)
        pipe = self.client.pipeline()
        for digest in digests:
            pipe.hgetall(self._key(digest))
        rows, gone = [], []
        for digest, fields in zip(digests, pipe.execute(), strict=True):
            if not fields:
                gone.append(digest)  # ended by idleness: Redis expired it
                continue
            rows.append(
                SessionRow(
                    digest[:16],
                    datetime.fromtimestamp(float(fields["created_at"]), UTC),
                    datetime.fromtimestamp(float(fields["last_seen_at"]), UTC),
                    fields["user_agent"],
                    fields["address"],
                )
            )
        if gone:
            self.client.zrem(index, *gone)
        return sorted(rows, key=lambda row: row.last_seen_at, reverse=True)


def make_session_store(settings: Settings, db: Database) -> SessionStore:
    if settings.redis_url:
        return RedisSessions(settings, settings.redis_url)
    return DatabaseSessions(settings, db)
