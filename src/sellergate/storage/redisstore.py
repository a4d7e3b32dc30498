"""Redis, where what several nodes share lives (``SELLERGATE_REDIS_URL``): one way to open it.

Every client has short timeouts and one quick retry, so a Redis that is down answers in about a
second and a Redis that is stopped (not dead: connections open, nothing answers) cannot hold a
request for the client library's default five seconds per attempt. What cannot be done without
Redis (sessions, sign-in throttling) is then refused with a 503 by the web layer, which asks
:func:`is_redis_fault`; rate-limit budgets choose to fail open or closed themselves.
"""

from __future__ import annotations

from typing import Any

import redis
from limits.errors import StorageError
from redis.backoff import NoBackoff
from redis.retry import Retry

TIMEOUT_SECONDS = 0.5


def client_options() -> dict[str, Any]:
    """The options every synchronous Redis client of ours is opened with."""
    return {
        "socket_timeout": TIMEOUT_SECONDS,
        "socket_connect_timeout": TIMEOUT_SECONDS,
        # One retry at once: a connection cut by a Redis restart is replaced, and a Redis that
        # stays silent costs two timeouts, not the library's default of several with backoff.
        "retry": Retry(NoBackoff(), 1),
    }


def redis_client(url: str) -> redis.Redis:
    """A client that answers ``str``, with :func:`client_options`."""
    client: redis.Redis = redis.Redis.from_url(url, decode_responses=True, **client_options())
    return client


def is_redis_fault(error: BaseException) -> bool:
    """Whether ``error`` means Redis cannot answer now (a 503), not a bug."""
    return isinstance(
        error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError | StorageError
    )
