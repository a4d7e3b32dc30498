"""The work a server process does besides answering requests, for as long as it runs.

- Buffered "last used" times are written every ``last_used_flush_seconds`` and once more at
  shutdown, after the last request has been answered, so a restart loses none.
- Expired and spent rows are pruned every ``prune_interval`` by the one process of the
  deployment that holds the prune lock (:class:`sellergate.storage.prune.PruneLeader`); it lets
  go at shutdown, and another node's process takes over at its next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from sellergate.accounts.bearer import LastUsedRecorder
from sellergate.config import Settings
from sellergate.storage.database import Database
from sellergate.storage.faults import is_fault
from sellergate.storage.prune import PruneLeader, prune
from sellergate.web.threads import in_thread

log = logging.getLogger("sellergate.jobs")


async def _flush_periodically(
    settings: Settings, database: Database, recorder: LastUsedRecorder
) -> None:
    while True:
        await asyncio.sleep(settings.last_used_flush_seconds)
        try:
            await in_thread(recorder.flush, database.engine)
        except Exception as error:
            # A database fault is in the outage log already (one line, not a traceback per
            # try); the recorder keeps the times and the next flush writes them.
            if not is_fault(error):
                log.exception("could not record last-used times; will retry")


async def _prune_periodically(settings: Settings, database: Database, leader: PruneLeader) -> None:
    while True:
        await asyncio.sleep(settings.prune_interval.total_seconds())
        try:
            if not await in_thread(leader.lead):
                continue
            counts = await in_thread(prune, database.engine, settings)
            log.info(
                "pruned %d rows", sum(counts.values()), extra={"event": "prune", "tables": counts}
            )
        except Exception as error:
            if not is_fault(error):
                log.exception("prune failed; will retry")


@contextlib.asynccontextmanager
async def background_jobs(
    settings: Settings, database: Database, recorder: LastUsedRecorder
) -> AsyncIterator[None]:
    leader = PruneLeader(settings)
    tasks = [asyncio.create_task(_flush_periodically(settings, database, recorder))]
    if settings.prune_interval.total_seconds() > 0:
        tasks.append(asyncio.create_task(_prune_periodically(settings, database, leader)))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await in_thread(leader.close)
        try:
            flushed = await in_thread(recorder.flush, database.engine)
        except Exception as error:
            if not is_fault(error):
                raise
            log.warning("last-used times not written at shutdown: the database is unavailable")
        else:
            log.info(
                "last-used times flushed at shutdown", extra={"event": "flush", "tokens": flushed}
            )
