"""Sign-in throttling: attempts are counted before the password is checked.

Each attempt first increments a counter for the client's address and then one for the account,
atomically, in a window of ``login_lockout_seconds`` that opens at the key's first attempt (so
there is no clock boundary at which a burst gets twice the limit); the password is checked only
if both counts are within their limits. So however many guesses arrive at once, on however many
workers or nodes, at most ``login_max_failures`` of them per account and window reach the
password hash. A successful sign-in refunds its own attempt, so the limits count failures in effect.

The counters live in the database (an UPSERT ... RETURNING, the same on SQLite and PostgreSQL)
or, when ``SELLERGATE_REDIS_URL`` is set, in Redis through the ``limits`` library's storage.
Keys are SHA-256 hashes, so their size is fixed whatever a client sends; the address is counted
first, so an address over its limit adds no rows for the usernames it tries, and rows of past
windows are deleted. Storage thus stays bounded by (addresses x per-address limit) per window.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from limits.storage import RedisStorage
from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from sellergate.config import Settings
from sellergate.storage.cadence import Cadence
from sellergate.storage.database import Database
from sellergate.storage.models import LoginAttempt
from sellergate.storage.redisstore import client_options
from sellergate.storage.types import utcnow

PRUNE_EVERY_SECONDS = 60.0


class AttemptCounter(Protocol):
    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        """Count one attempt for ``key``: the count in its window including this one, and the
        seconds left in that window. A window opens at the first attempt after the last one
        ended, so its limits hold over any ``seconds``, not only between clock boundaries."""
        ...

    def refund(self, key: str) -> None:
        """Take one attempt back (a sign-in that succeeded) if its window is still open."""
        ...


class DatabaseCounter:
    """Counters in ``login_attempts``: one row per key, shared by every worker and node."""

    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
        self._insert = dialect.insert
        self._prune_cadence = Cadence(PRUNE_EVERY_SECONDS)

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        now = utcnow()
        opens = now + timedelta(seconds=seconds)
        # In ON CONFLICT DO UPDATE every expression sees the stored row: a window that has
        # ended starts again at one, in the same atomic statement that counts.
        ended = LoginAttempt.expires_at <= now
        statement = (
            self._insert(LoginAttempt)
            .values(key=key, count=1, expires_at=opens)
            .on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "count": case((ended, 1), else_=LoginAttempt.count + 1),
                    "expires_at": case((ended, opens), else_=LoginAttempt.expires_at),
                },
            )
            .returning(LoginAttempt.count, LoginAttempt.expires_at)
        )
        with self.db.session(write=True) as session:
            count, expires_at = session.execute(statement).one()
        self._prune()
        return int(count), (expires_at - now).total_seconds()

    def refund(self, key: str) -> None:
        with self.db.session(write=True) as session:
            session.execute(
                update(LoginAttempt)
                .where(
                    LoginAttempt.key == key,
                    LoginAttempt.expires_at > utcnow(),
                    LoginAttempt.count > 0,
                )
                .values(count=LoginAttempt.count - 1)
            )

    def _prune(self) -> None:
        """Delete windows that have ended, at most once a minute per process."""
        if not self._prune_cadence.due():
            return
        with self.db.session(write=True) as session:
            session.execute(delete(LoginAttempt).where(LoginAttempt.expires_at <= utcnow()))


class RedisCounter:
    """Counters in Redis: the ``limits`` library's INCR-and-EXPIRE script sets the expiry when a
    key is created, so a window opens at its first attempt; Redis expires ended ones itself."""

    def __init__(self, url: str) -> None:
        self.storage = RedisStorage(url, key_prefix="sellergate-login", **client_options())

    def hit(self, key: str, seconds: int) -> tuple[int, float]:
        count = self.storage.incr(key, seconds)
        return count, max(0.0, self.storage.get_expiry(key) - time.time())

    def refund(self, key: str) -> None:
        # Never below zero, and never into a window that has ended (that would open a new key
        # at -1: a free attempt).
        if self.storage.get(key) > 0:
            self.storage.incr(key, 1, amount=-1)


def make_counter(settings: Settings, db: Database) -> AttemptCounter:
    return RedisCounter(settings.redis_url) if settings.redis_url else DatabaseCounter(db)


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after: int = 0
    # True for the first refused attempt of a window, so a lockout is logged once, not per guess.
    first_refusal: bool = False
    limit: str = ""  # which limit refused: "address" or "account"


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def address_group(address: str) -> str:
    """The unit an address limit applies to: one IPv4 address, or an IPv6 /64 (one site's)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class LoginThrottle:
    def __init__(self, settings: Settings, counter: AttemptCounter) -> None:
        self.counter = counter
        self.per_account = settings.login_max_failures
        self.per_address = settings.login_max_per_address
        self.seconds = settings.login_lockout_seconds

    def attempt(self, username: str, address: str) -> Verdict:
        """Count an attempt (blocking I/O: call it off the event loop)."""
        for name, key, limit in (
            ("address", _key("address", address_group(address)), self.per_address),
            ("account", _key("account", username), self.per_account),
        ):
            count, left = self.counter.hit(key, self.seconds)
            if count > limit:
                return Verdict(False, max(1, math.ceil(left)), count == limit + 1, name)
        return Verdict(True)

    def succeeded(self, username: str, address: str) -> None:
        for key in (_key("address", address_group(address)), _key("account", username)):
            self.counter.refund(key)

    def attempt_address(self, address: str) -> Verdict:
        """Count an attempt that names no account (a return from the upstream provider): only
        the address's limit applies. Blocking I/O: call it off the event loop."""
        count, left = self.counter.hit(_key("address", address_group(address)), self.seconds)
        if count > self.per_address:
            return Verdict(False, max(1, math.ceil(left)), count == self.per_address + 1, "address")
        return Verdict(True)

    def address_succeeded(self, address: str) -> None:
        self.counter.refund(_key("address", address_group(address)))
