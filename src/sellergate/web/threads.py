"""Worker threads for the web layer's blocking work (database calls, password hashing).

Pools per process, one per purpose: :func:`in_thread` runs in the ``POOL_SIZE`` threads for the
pages, password hashing and background jobs; the API's database calls run in a pool of their
own, of ``SELLERGATE_DATABASE_THREADS`` (:func:`in_database_thread`; ``web.dbcall`` says why it
is small), whatever its size. The database
connection pool holds a connection for every one of these threads: nearly every call here
holds one, so more threads would only queue on the pool's checkout.

It is a plain :class:`concurrent.futures.ThreadPoolExecutor` driven by the event loop, not
Starlette's ``run_in_threadpool`` (anyio's worker threads, capacity limiter and cancel scopes):
measured per call, 87-89 against 96-113 µs of CPU one at a time and 35 against 88 µs with 50
calls in flight, which is a tenth of a PostgreSQL ``me`` request. The caller's context
variables (the request id the logs carry) go with the call. A call whose request is cancelled
still runs to its end in its thread (a thread cannot be stopped): its transaction commits or
rolls back as it would have.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from sellergate.storage.database import POOL_SIZE

P = ParamSpec("P")
T = TypeVar("T")

_GENERAL = "general"
_DATABASE = "database"
_pools: dict[tuple[str, int], ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _executor(purpose: str, size: int) -> ThreadPoolExecutor:
    key = (purpose, size)
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = ThreadPoolExecutor(
                    max_workers=size, thread_name_prefix=f"sellergate-{purpose}"
                )
    return pool


async def _in_pool(
    purpose: str, size: int, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(purpose, size), call)


async def in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` in a worker thread, with the caller's context."""
    return await _in_pool(_GENERAL, POOL_SIZE, function, *args, **kwargs)


async def in_database_thread(
    size: int, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """:func:`in_thread` in the pool of ``size`` threads for the API's database calls: its
    own, even when ``size`` is the general pool's."""
    return await _in_pool(_DATABASE, size, function, *args, **kwargs)
