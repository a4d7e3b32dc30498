"""A cache keyed by GraphQL document text, bounded by entries and by the bytes of the keys.

Clients send the same few documents over and over, so their parse, validation and cost are
worth keeping; but a document may be up to the body limit (a megabyte) long, and a cache
bounded only by entries would hold hundreds of them. This one also counts the characters of
its keys and drops the least recently used entries past :data:`MAX_BYTES`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

MAX_ENTRIES = 512
MAX_BYTES = 8_000_000


class DocumentCache(Generic[K, V]):
    def __init__(self, entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        # Requests run in worker threads too.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Keep ``value`` for ``key`` (``size``: the document's length); an entry larger than
        the whole budget is not kept."""
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped
