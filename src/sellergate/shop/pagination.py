"""Keyset pagination: ``WHERE seller_id = ? AND id > ? ORDER BY id LIMIT n``.

Each page walks the ``(seller_id, id)`` index from the cursor, so page 5,000 costs what page 1
costs, and a cursor stays valid when the row it points at is deleted (no OFFSET to shift).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, Row, Select
from sqlalchemy.orm import Session

from sellergate.shop.validation import invalid

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    has_next: bool
    has_previous: bool


def page_size(first: int | None) -> int:
    """``first`` as asked, defaulted and capped at :data:`MAX_PAGE_SIZE`."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 1:
        raise invalid("first must be at least 1", "first", "OUT_OF_RANGE")
    return min(first, MAX_PAGE_SIZE)


def keyset(
    session: Session,
    statement: Select[Any],
    key: Column[int],
    convert: Callable[[Row[Any]], T],
    *,
    first: int | None,
    after: int | None,
    newest_first: bool = False,
) -> Page[T]:
    """One page of ``statement`` (already filtered by seller) after the row keyed ``after``."""
    size = page_size(first)
    if after is not None:
        statement = statement.where(key < after if newest_first else key > after)
    order = key.desc() if newest_first else key.asc()
    rows = session.connection().execute(statement.order_by(order).limit(size + 1)).all()
    items = [convert(row) for row in rows[:size]]
    return Page(items, has_next=len(rows) > size, has_previous=after is not None)
