"""The outage log: one line when an outage starts, a count while it lasts, one when it ends."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import exc as sa

from sellergate.storage.faults import OutageLog, is_fault, is_unwritable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def unreachable() -> sa.OperationalError:
    return sa.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def read_only() -> sa.OperationalError:
    return sa.OperationalError("INSERT", {}, Exception("attempt to write a readonly database"))


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sellergate.database"]


def test_outage_is_three_kinds_of_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = OutageLog(report_every=10, clock=clock)
    caplog.set_level(logging.INFO)
    outage.succeeded(wrote=False)  # nothing to say while all is well
    for _ in range(385):
        outage.failed(unreachable())
        clock.now += 0.01
    clock.now += 7.15
    outage.failed(unreachable())  # 11 s after the start: one count
    clock.now += 1
    outage.succeeded(wrote=False)
    outage.succeeded(wrote=True)
    lines = messages(caplog)
    assert lines == [
        "database unavailable (ConnectionRefusedError: connection refused)",
        "database still unavailable: 386 failures in 11.0 s",
        "database available again after 12.0 s (386 failures)",
    ]
    assert not any(r.exc_info for r in caplog.records)
    assert "SELECT" not in " ".join(lines)


def test_a_readable_but_unwritable_database_is_down_until_a_write_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    outage = OutageLog(clock=clock)
    caplog.set_level(logging.INFO)
    outage.failed(read_only())
    clock.now += 1
    outage.succeeded(wrote=False)
    outage.failed(read_only())
    assert outage.down and len(messages(caplog)) == 1
    clock.now += 1
    outage.succeeded(wrote=True)
    assert not outage.down and len(messages(caplog)) == 2


def test_successes_amid_failures_do_not_split_one_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server shutting down answers on the connections it has not cut yet: an outage ends at
    a success that comes ``settle`` seconds after the last failure, not at the first one."""
    clock = Clock()
    outage = OutageLog(clock=clock, settle=0.5)
    caplog.set_level(logging.INFO)
    for _ in range(5):
        outage.failed(unreachable())
        clock.now += 0.01
        outage.succeeded(wrote=True)
        clock.now += 0.01
    assert outage.down and len(messages(caplog)) == 1
    clock.now += 0.5
    outage.succeeded(wrote=True)
    assert not outage.down
    assert messages(caplog) == [
        "database unavailable (ConnectionRefusedError: connection refused)",
        "database available again after 0.6 s (5 failures)",
    ]


def test_threads_see_one_start_and_one_end(caplog: pytest.LogCaptureFixture) -> None:
    outage = OutageLog(report_every=3600, settle=0)
    caplog.set_level(logging.INFO)
    barrier = threading.Barrier(8)

    def hammer() -> None:
        barrier.wait()
        for _ in range(500):
            outage.failed(unreachable())

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    barrier = threading.Barrier(8)

    def recover() -> None:
        barrier.wait()
        outage.succeeded(wrote=True)

    threads = [threading.Thread(target=recover) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = messages(caplog)
    assert len(lines) == 2
    assert lines[1].endswith("(4000 failures)")


def test_what_counts_as_a_fault() -> None:
    assert is_fault(unreachable()) and is_fault(read_only()) and is_unwritable(read_only())
    assert not is_unwritable(unreachable())
    assert not is_fault(sa.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    assert not is_fault(ValueError("x"))
