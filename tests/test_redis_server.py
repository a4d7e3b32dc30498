"""The Redis test fixture gives each test an empty database of its own."""

from __future__ import annotations

import redis

from redisserver import RedisServer


def test_fresh_url_is_empty_and_separate(redis_server: RedisServer) -> None:
    first = redis_server.fresh_url()
    client = redis.Redis.from_url(first)
    try:
        client.set("key", "value")
        second = redis_server.fresh_url()
        assert second != first
        other = redis.Redis.from_url(second)
        try:
            assert other.get("key") is None
            assert client.get("key") == b"value"
        finally:
            other.close()
    finally:
        client.close()
