"""Sign-in throttling: counted before the check, atomic, shared, and bounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from sellergate.accounts.throttling import (
    DatabaseCounter,
    LoginThrottle,
    RedisCounter,
    address_group,
)
from sellergate.config import Settings
from sellergate.storage.cadence import Cadence
from sellergate.storage.database import Database
from sellergate.storage.models import LoginAttempt
from sellergate.storage.types import utcnow


def attempts(throttle: LoginThrottle, username: str, address: str, count: int) -> list[bool]:
    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(lambda _: throttle.attempt(username, address).allowed, range(count)))


def test_concurrent_attempts_are_counted_atomically(db: Database, settings: Settings) -> None:
    throttle = LoginThrottle(settings, DatabaseCounter(db))
    allowed = attempts(throttle, "alice", "192.0.2.1", 40)
    assert allowed.count(True) == settings.login_max_failures


def test_two_throttles_on_one_database_share_the_count(db: Database, settings: Settings) -> None:
    # Two workers or two nodes: each has its own throttle object, the counts are the database's.
    other = Database(settings)
    try:
        first = LoginThrottle(settings, DatabaseCounter(db))
        second = LoginThrottle(settings, DatabaseCounter(other))
        results = [
            (first if i % 2 else second).attempt("alice", "192.0.2.1").allowed for i in range(10)
        ]
    finally:
        other.dispose()
    assert results.count(True) == settings.login_max_failures


def test_redis_counter_is_atomic_and_shared(settings: Settings, redis_url: str) -> None:
    first = LoginThrottle(settings, RedisCounter(redis_url))
    second = LoginThrottle(settings, RedisCounter(redis_url))
    allowed = attempts(first, "alice", "192.0.2.1", 20) + attempts(second, "alice", "192.0.2.2", 5)
    assert allowed.count(True) == settings.login_max_failures


def test_first_refusal_is_flagged_once(db: Database, settings: Settings) -> None:
    throttle = LoginThrottle(settings, DatabaseCounter(db))
    verdicts = [throttle.attempt("alice", "192.0.2.1") for _ in range(9)]
    assert [v.first_refusal for v in verdicts].count(True) == 1
    refused = verdicts[-1]
    assert not refused.allowed and 0 < refused.retry_after <= settings.login_lockout_seconds + 1


def test_success_refunds_its_attempt(db: Database, settings: Settings) -> None:
    throttle = LoginThrottle(settings, DatabaseCounter(db))
    for _ in range(20):
        assert throttle.attempt("alice", "192.0.2.1").allowed
        throttle.succeeded("alice", "192.0.2.1")


def test_per_address_limit_spans_usernames(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(login_max_per_address=10)
    throttle = LoginThrottle(settings, DatabaseCounter(db))
    allowed = [throttle.attempt(f"user{i}", "192.0.2.7").allowed for i in range(30)]
    assert allowed.count(True) == 10
    assert throttle.attempt("someone", "192.0.2.8").allowed


def test_username_spray_leaves_bookkeeping_bounded(
    db: Database, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(login_max_per_address=10)
    throttle = LoginThrottle(settings, DatabaseCounter(db))
    for i in range(300):
        throttle.attempt(f"sprayed-{i}-" + "x" * 200, "198.51.100.9")
    with db.session() as session:
        rows = session.scalar(select(func.count()).select_from(LoginAttempt))
        longest = session.scalar(select(func.max(func.length(LoginAttempt.key))))
    # One row for the address and one per username tried before the address was locked.
    assert rows == 1 + 10
    assert longest == 64


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
    ],
)
def test_ipv6_addresses_are_limited_per_64(address: str, group: str) -> None:
    assert address_group(address) == group


def test_windows_that_ended_are_deleted(db: Database, settings: Settings) -> None:
    counter = DatabaseCounter(db)
    counter.hit("old", 60)
    with db.session(write=True) as session:
        session.execute(update(LoginAttempt).values(expires_at=utcnow() - timedelta(seconds=1)))
    counter._prune_cadence = Cadence(0.0)  # the next hit prunes, without a minute's wait
    counter.hit("new", 60)
    with db.session() as session:
        assert list(session.scalars(select(LoginAttempt.key))) == ["new"]


def test_a_window_opens_at_the_first_attempt_and_starts_again_once_ended(
    db: Database, redis_url: str
) -> None:
    for counter in (DatabaseCounter(db), RedisCounter(redis_url)):
        assert [counter.hit("k", 1)[0] for _ in range(3)] == [1, 2, 3]
        count, left = counter.hit("k", 1)
        assert count == 4 and 0 < left <= 1
        time.sleep(1.2)
        assert counter.hit("k", 1)[0] == 1  # a new window, not the old count
        counter.refund("k")
        counter.refund("k")  # never below zero
        assert counter.hit("k", 1)[0] == 1
