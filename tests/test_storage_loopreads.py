"""Reads on the event loop (``storage.loopreads``): the same rows as on a SQLAlchemy
connection, a lookup of several steps run as written, the driver's errors raised as
SQLAlchemy's, and a kept connection that died replaced without a failed read."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.exc import DataError, OperationalError

from inprocess import on_own_loop
from pgserver import PostgresServer, running, start_dedicated
from sellergate.config import load_settings
from sellergate.storage.database import Database
from sellergate.storage.faults import is_fault
from sellergate.storage.loopreads import LoopReads
from sellergate.storage.migrate import upgrade
from sellergate.storage.models import Seller
from sellergate.storage.prebuilt import Prebuilt, Reads, run_reads
from sellergate.tokens.hashing import token_hash
from test_prebuilt import BY_HASH, LOOKUP, minted

pytestmark = pytest.mark.databases("postgresql")

BY_USERNAME = Prebuilt(LOOKUP.where(Seller.username == bindparam("name")))


def _digests(db: Database, count: int) -> list[str]:
    return [token_hash(token) for token in minted(db, [f"seller{n}" for n in range(count)])]


def two_steps(digest: str) -> Reads[tuple[Any, ...]]:
    """A lookup of two reads, the second built from the first's answer."""
    first = yield BY_HASH.read({"digest": digest})
    username = first[0][-1]
    second = yield BY_USERNAME.read({"name": username})
    return first[0], second[0], username


def test_a_lookup_gets_the_rows_a_connection_gets(db: Database) -> None:
    (digest,) = _digests(db, 1)
    reads = LoopReads(db)

    async def main() -> tuple[Any, ...]:
        try:
            return await reads.run(two_steps(digest))
        finally:
            await reads.aclose()

    with db.engine.connect() as connection:
        expected = run_reads(connection, two_steps(digest))
    assert on_own_loop(main) == expected
    _, expires_at, _, live, username = expected[0]
    assert expires_at.tzinfo is not None and live is True and username == "seller0"


def test_one_connection_is_kept_per_loop_and_closed_with_it(db: Database) -> None:
    digests = _digests(db, 3)
    reads = LoopReads(db)

    async def main() -> set[int]:
        pids = set()
        for digest in digests:
            await reads.run(two_steps(digest))
            pids.add(reads._kept[asyncio.get_running_loop()].info.backend_pid)
        kept = reads._kept[asyncio.get_running_loop()]
        await reads.aclose()
        assert kept.closed and not reads._kept
        return pids

    assert len(on_own_loop(main)) == 1


def test_bad_input_is_sqlalchemys_error_and_no_outage(db: Database) -> None:
    reads = LoopReads(db)

    async def main() -> None:
        with pytest.raises(DataError) as raised:
            await reads.run(two_steps("nul\x00in a parameter"))
        assert not is_fault(raised.value)
        # The next read is answered (on a new connection).
        (digest,) = _digests(db, 1)
        assert (await reads.run(two_steps(digest)))[2] == "seller0"
        await reads.aclose()

    on_own_loop(main)
    assert not db.outage.down


def test_a_connection_the_server_cut_is_replaced_without_a_failed_read(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    (digest,) = _digests(db, 1)
    reads = LoopReads(db)
    caplog.set_level(logging.INFO)

    async def main() -> None:
        await reads.run(two_steps(digest))
        pid = reads._kept[asyncio.get_running_loop()].info.backend_pid
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert (await reads.run(two_steps(digest)))[2] == "seller0"
        assert reads._kept[asyncio.get_running_loop()].info.backend_pid != pid
        await reads.aclose()

    on_own_loop(main)
    assert not [r for r in caplog.records if r.name == "sellergate.database"]


@pytest.fixture
def own_pg() -> Any:
    with running(start_dedicated) as server:
        yield server


def test_a_server_down_is_a_fault_in_the_outage_log(own_pg: PostgresServer, tmp_path: Any) -> None:
    _, url = own_pg.create_database()
    db = Database(load_settings(database_url=url, data_dir=str(tmp_path)))
    upgrade(db.engine)
    (digest,) = _digests(db, 1)
    reads = LoopReads(db)

    async def main() -> None:
        await reads.run(two_steps(digest))
        own_pg.pause()
        try:
            with pytest.raises(OperationalError) as raised:
                await reads.run(two_steps(digest))
            assert is_fault(raised.value) and db.outage.down
        finally:
            own_pg.resume()
        assert (await reads.run(two_steps(digest)))[2] == "seller0"
        await reads.aclose()

    try:
        on_own_loop(main)
    finally:
        db.dispose()
