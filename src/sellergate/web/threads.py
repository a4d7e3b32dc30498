"""Worker threads for the web layer's blocking work (database calls, password hashing).

Pools per process, one per size: :func:`in_thread` runs in the ``POOL_SIZE`` threads for the
pages, password hashing and background jobs; the API's database calls run in a pool of their
own, of ``SELLERGATE_DATABASE_THREADS`` (``web.dbcall`` says why it is small). The database
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

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _executor(size: int) -> ThreadPoolExecutor:
    pool = _pools.get(size)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(size)
            if pool is None:
                pool = _pools[size] = ThreadPoolExecutor(
                    max_workers=size, thread_name_prefix=f"sellergate-{size}"
                )
    return pool


async def in_thread(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` in a worker thread, with the caller's context."""
    return await in_pool(POOL_SIZE, function, *args, **kwargs)


async def in_pool(size: int, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """:func:`in_thread` in the pool of ``size`` threads (one per size and process)."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(size), call)
