"""Rate-limit budgets: counted by the ``limits`` library (fixed or moving window), on Redis when
``SELLERGATE_REDIS_URL`` is set, so that budgets hold across workers and nodes, and in memory
otherwise (one process, :mod:`sellergate.storage.counts`). :mod:`sellergate.web.ratelimit`
decides what a request is charged to.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import (
    FixedWindowRateLimiter,
    MovingWindowRateLimiter,
    RateLimiter,
)
from limits.errors import StorageError
from limits.storage import storage_from_string

from sellergate.config import RateLimitStrategy, Settings
from sellergate.storage.counts import ProcessCounts
from sellergate.storage.redisstore import TIMEOUT_SECONDS

log = logging.getLogger("sellergate.ratelimit")

# Redis must answer fast or be treated as down: a limiter that hangs would hang every request.
OUTAGE_WARNING_SECONDS = 30.0


class LimiterUnavailable(Exception):
    """The shared store did not answer and the limits are configured to fail closed."""


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        values = [
            (b"ratelimit-limit", self.limit),
            (b"ratelimit-remaining", self.remaining),
            (b"ratelimit-reset", self.reset),
        ]
        if not self.allowed:
            values.append((b"retry-after", max(self.reset, 1)))
        return [(name, str(value).encode()) for name, value in values]


Charge = tuple[RateLimitItem, str]


class Limiter:
    """The budgets of one process, counted in Redis or in memory."""

    def __init__(self, settings: Settings) -> None:
        if settings.redis_url:
            storage = storage_from_string(
                "async+" + settings.redis_url,
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix="sellergate:ratelimit",
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=TIMEOUT_SECONDS,
            )
        else:
            storage = ProcessCounts()
        self.strategy: RateLimiter = (
            MovingWindowRateLimiter(storage)
            if settings.rate_limit_strategy is RateLimitStrategy.MOVING_WINDOW
            else FixedWindowRateLimiter(storage)
        )
        self.fail_open = settings.rate_limit_fail_open
        self._warned_at = -math.inf
        self.token = _item(settings.rate_limit_token)
        self.app = _item(settings.rate_limit_app)
        self.client = _item(settings.rate_limit_client)
        self.address = _item(settings.rate_limit_address)

    async def charge(self, charges: Sequence[Charge], *, consume: bool = True) -> Verdict | None:
        """Charge one request to each budget (or, without ``consume``, only look whether one
        more fits); the verdict of the tightest one (the refusing one if any). ``None`` when
        there is nothing to charge, or the store is down and the limits fail open;
        :class:`LimiterUnavailable` when it is down and they fail closed."""
        tightest: Verdict | None = None
        try:
            for item, key in charges:
                verdict = await (self._hit(item, key) if consume else self._look(item, key))
                if not verdict.allowed:
                    return verdict
                if tightest is None or verdict.remaining < tightest.remaining:
                    tightest = verdict
        except (StorageError, OSError) as exc:
            now = time.monotonic()
            if now - self._warned_at > OUTAGE_WARNING_SECONDS:  # once a while, not per request
                self._warned_at = now
                log.warning(
                    "rate-limit store unavailable (%s); failing %s",
                    type(exc).__name__,
                    "open" if self.fail_open else "closed",
                )
            if self.fail_open:
                return None
            raise LimiterUnavailable from None
        return tightest

    async def _hit(self, item: RateLimitItem, key: str) -> Verdict:
        if not isinstance(self.strategy, FixedWindowRateLimiter):
            return await self._verdict(item, key, await self.strategy.hit(item, key))
        # A fixed window's hit is an increment (what ``FixedWindowRateLimiter.hit`` does), and
        # the count it returns is the window's with this request in it: the remaining budget
        # needs no second read of the counter (on Redis, one round trip less per budget).
        counter = item.key_for(key)
        count = await self.strategy.storage.incr(counter, item.get_expiry())
        reset_at = await self.strategy.storage.get_expiry(counter)
        return Verdict(
            count <= item.amount,
            item.amount,
            max(item.amount - count, 0),
            max(math.ceil(reset_at - time.time()), 0),
        )

    async def _look(self, item: RateLimitItem, key: str) -> Verdict:
        return await self._verdict(item, key, await self.strategy.test(item, key))

    async def _verdict(self, item: RateLimitItem, key: str, allowed: bool) -> Verdict:
        reset_at, remaining = await self.strategy.get_window_stats(item, key)
        return Verdict(allowed, item.amount, remaining, max(math.ceil(reset_at - time.time()), 0))

    @property
    def refunds(self) -> bool:
        """Whether a hit can be taken back: a fixed window's counter can be decremented, a
        moving window's log of hits cannot."""
        return isinstance(self.strategy, FixedWindowRateLimiter)

    async def refund(self, charges: Sequence[Charge]) -> None:
        """Take back one hit of each budget (fixed windows only, see :attr:`refunds`); a store
        that is down loses nothing by it."""
        if not self.refunds:
            return
        with contextlib.suppress(StorageError, OSError):
            for item, key in charges:
                await self.strategy.storage.incr(item.key_for(key), item.get_expiry(), amount=-1)


def _item(value: str) -> RateLimitItem | None:
    return None if value == "off" else parse(value)
