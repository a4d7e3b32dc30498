"""The SQLite writers' lock: exclusive across descriptors (as across processes), bounded waits,
and no lock at all where its file cannot be made."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from lockholder import held_by_another_thread
from overlap import Overlap
from sellergate.storage.writelock import SqliteWriteLock, WriterBusy


def test_a_second_holder_waits_for_the_first_and_goes_on_when_it_releases(tmp_path: Path) -> None:
    # Two instances hold two open file descriptions, as two server processes do.
    first = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=10)
    second = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=10)
    order: list[str] = []
    entered = threading.Event()

    def hold() -> None:
        with first.held():
            entered.set()
            time.sleep(0.2)
            order.append("first released")

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(5)
    with second.held():
        order.append("second entered")
    holder.join()
    assert order == ["first released", "second entered"]
    first.close()
    second.close()


def test_a_wait_is_bounded_and_then_goes_on_without_the_lock(tmp_path: Path) -> None:
    first = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=10)
    impatient = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=0.2)
    with first.held():
        started = time.monotonic()
        with impatient.held():
            waited = time.monotonic() - started
    assert 0.2 <= waited < 5
    first.close()
    impatient.close()


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    lock = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=10)
    overlap = Overlap()

    def write() -> None:
        with lock.held(), overlap.inside():
            time.sleep(0.005)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlap.most == 1
    lock.close()


def test_without_a_lock_file_writers_are_not_stopped(tmp_path: Path) -> None:
    lock = SqliteWriteLock(str(tmp_path / "missing-directory" / "shop.db"), timeout=10)
    with lock.held():
        pass
    assert not (tmp_path / "missing-directory").exists()


def test_without_waiting_the_first_hold_takes_a_free_lock_or_refuses_a_taken_one(
    tmp_path: Path,
) -> None:
    lock = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=10)
    other_process = SqliteWriteLock(str(tmp_path / "shop.db"), timeout=0.2)
    with lock.without_waiting(), lock.held():
        # The holding thread's own transactions go on under it, without waiting.
        started = time.monotonic()
        with lock.held():
            pass
        assert time.monotonic() - started < 0.1
        # Another process's writer waits for it (here up to its 0.2 s, then goes on).
        started = time.monotonic()
        with other_process.held():
            assert time.monotonic() - started >= 0.2
    with other_process.held():
        started = time.monotonic()
        with pytest.raises(WriterBusy), lock.without_waiting(), lock.held():
            raise AssertionError("held while another process holds it")
        assert time.monotonic() - started < 0.1
    with held_by_another_thread(lock):
        started = time.monotonic()
        with pytest.raises(WriterBusy), lock.without_waiting(), lock.held():
            raise AssertionError("another thread of this process holds it")
        assert time.monotonic() - started < 0.1
    # Once the thread has held the lock in the block, it waits like any other writer.
    with lock.without_waiting():
        with lock.held():
            pass
        taken, release = threading.Event(), threading.Event()

        def hold_elsewhere() -> None:
            with other_process.held():
                taken.set()
                release.wait(5)

        holder = threading.Thread(target=hold_elsewhere)
        holder.start()
        taken.wait(5)
        threading.Timer(0.2, release.set).start()
        started = time.monotonic()
        with lock.held():
            assert time.monotonic() - started >= 0.15
        holder.join()
    # Outside the block it waits again.
    with lock.held():
        pass
    lock.close()
    other_process.close()
