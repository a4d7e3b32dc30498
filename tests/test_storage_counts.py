"""The rate-limit counts of one process: ``limits``' fixed and moving windows over them count
as a plain model of each window does, and a window's key is dropped once the window ends,
whatever the number of keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st
from limits import RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from sellergate.storage.counts import ProcessCounts

ITEMS = (RateLimitItemPerMinute(3), RateLimitItemPerSecond(2))
KEYS = ("token:a", "token:b", "address:c")
START = 1_800_000_000.0


@dataclass
class Clock:
    now: float = START

    def __call__(self) -> float:
        return self.now


# One step: let this much time pass, then one call on one budget of one key.
steps = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=25, allow_nan=False),
        st.sampled_from(("hit", "test", "stats")),
        st.sampled_from(range(len(ITEMS))),
        st.sampled_from(KEYS),
    ),
    max_size=60,
)


@dataclass
class FixedModel:
    """A fixed window starts at its first hit and lasts the item's expiry."""

    windows: dict[str, tuple[int, float]] = field(default_factory=dict)

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        window = self.windows.get(key)
        return window if window is not None and window[1] > now else None

    def hit(self, key: str, amount: int, expiry: int, now: float) -> bool:
        count, end = self._live(key, now) or (0, now + expiry)
        self.windows[key] = (count + 1, end)
        return count + 1 <= amount

    def test(self, key: str, amount: int, expiry: int, now: float) -> bool:
        window = self._live(key, now)
        return (window[0] if window else 0) < amount

    def stats(self, key: str, amount: int, expiry: int, now: float) -> tuple[float, int]:
        window = self._live(key, now)
        if window is None:
            return now, amount
        return window[1], max(0, amount - window[0])


@dataclass
class MovingModel:
    """A moving window counts the hits of the last expiry seconds."""

    hits: dict[str, list[float]] = field(default_factory=dict)

    def _inside(self, key: str, expiry: int, now: float) -> list[float]:
        return [at for at in self.hits.get(key, []) if at > now - expiry]

    def hit(self, key: str, amount: int, expiry: int, now: float) -> bool:
        if len(self._inside(key, expiry, now)) >= amount:
            return False
        self.hits.setdefault(key, []).append(now)
        return True

    def test(self, key: str, amount: int, expiry: int, now: float) -> bool:
        return len(self._inside(key, expiry, now)) < amount

    def stats(self, key: str, amount: int, expiry: int, now: float) -> tuple[float, int]:
        inside = self._inside(key, expiry, now)
        start = inside[0] if inside else now
        return start + expiry, amount - len(inside)


Model = FixedModel | MovingModel


@dataclass
class Counted:
    """One process's counts on a clock of the test's, with both of ``limits``' windows."""

    clock: Clock = field(default_factory=Clock)
    counts: ProcessCounts = field(init=False)
    fixed: FixedWindowRateLimiter = field(init=False)
    moving: MovingWindowRateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.counts = ProcessCounts(self.clock)
        self.fixed = FixedWindowRateLimiter(self.counts)
        self.moving = MovingWindowRateLimiter(self.counts)


def _replay(plan: list[tuple[float, str, int, str]], moving: bool) -> None:
    counted = Counted()
    limiter = counted.moving if moving else counted.fixed
    model: Model = MovingModel() if moving else FixedModel()

    async def run() -> None:
        for wait, call, which, key in plan:
            now = counted.clock.now = counted.clock.now + wait
            item = ITEMS[which]
            # Each item counts under keys of its own, as in limits.
            name, amount, expiry = item.key_for(key), item.amount, item.get_expiry()
            if call == "hit":
                assert await limiter.hit(item, key) == model.hit(name, amount, expiry, now)
            elif call == "test":
                assert await limiter.test(item, key) == model.test(name, amount, expiry, now)
            else:
                stats = await limiter.get_window_stats(item, key)
                assert tuple(stats) == model.stats(name, amount, expiry, now)

    asyncio.run(run())


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_fixed_window_counts_as_the_plain_model(plan: list[tuple[float, str, int, str]]) -> None:
    _replay(plan, moving=False)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_a_moving_window_counts_as_the_plain_model(
    plan: list[tuple[float, str, int, str]],
) -> None:
    _replay(plan, moving=True)


def test_ended_windows_are_dropped_and_live_ones_kept() -> None:
    counted = Counted()
    clock, counts, fixed, moving = counted.clock, counted.counts, counted.fixed, counted.moving
    minute = ITEMS[0]

    async def run() -> None:
        for number in range(5_000):
            await fixed.hit(minute, f"token:{number}")
            await moving.hit(minute, f"address:{number}")
        assert len(counts) == 10_000
        clock.now += 50
        await moving.hit(minute, "address:0")  # in the window until START + 110
        clock.now += 11  # every window that started at START has ended
        await fixed.hit(minute, "token:new")
        assert len(counts) == 2
        assert await moving.get_window_stats(minute, "address:0") == (START + 110, 2)
        clock.now += 61
        await fixed.hit(minute, "token:newer")
        # Ended: address:0 (its last hit left the window) and token:new (its minute is over).
        assert len(counts) == 1
        assert await fixed.get_window_stats(minute, "token:newer") == (clock.now + 60, 2)

    asyncio.run(run())


def test_a_refund_takes_a_hit_back_in_the_same_window() -> None:
    counted = Counted()
    clock, counts, fixed = counted.clock, counted.counts, counted.fixed
    minute = ITEMS[0]

    async def run() -> None:
        await fixed.hit(minute, "client:a")
        await fixed.hit(minute, "client:a")
        clock.now += 1
        assert await counts.incr(minute.key_for("client:a"), minute.get_expiry(), -1) == 1
        assert await fixed.get_window_stats(minute, "client:a") == (START + 60, 2)

    asyncio.run(run())


def test_clear_and_reset_forget_the_counts() -> None:
    counted = Counted()
    clock, counts, fixed, moving = counted.clock, counted.counts, counted.fixed, counted.moving
    minute = ITEMS[0]

    async def run() -> None:
        for _ in range(3):
            await fixed.hit(minute, "a")
            await moving.hit(minute, "b")
        assert not await fixed.test(minute, "a")
        assert not await moving.test(minute, "b")
        await fixed.clear(minute, "a")
        await moving.clear(minute, "b")
        assert await fixed.test(minute, "a")
        assert await moving.test(minute, "b")
        # A window counted again after a clear ends at its own time, not the cleared one's.
        clock.now += 30
        await fixed.hit(minute, "a")
        clock.now += 31
        await fixed.hit(minute, "c")
        assert await fixed.get_window_stats(minute, "a") == (START + 90, 2)
        assert await counts.reset() == 2
        assert len(counts) == 0

    asyncio.run(run())
