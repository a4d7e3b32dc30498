"""Keyset pagination: ``WHERE seller_id = ? AND id > ? ORDER BY id LIMIT n``.

Each page walks the ``(seller_id, id)`` index from the cursor, so page 5,000 costs what page 1
costs, and a cursor stays valid when the row it points at is deleted (no OFFSET to shift).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from sqlalchemy import Integer, Row, Select, Table, bindparam, select

from sellergate.shop.reads import Reads, connection_of
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


@lru_cache(maxsize=64)
def page_statement(
    table: Table, filters: tuple[str, ...], after: bool, newest_first: bool
) -> Select[Any]:
    """The statement of a page of ``table``, built once per shape; values are bound."""
    columns = table.c
    key = columns.id
    statement = select(table).where(
        columns.seller_id == bindparam("seller_id"),
        *(columns[name] == bindparam(name) for name in filters),
    )
    if after:
        cursor = bindparam("after", type_=key.type)
        statement = statement.where(key < cursor if newest_first else key > cursor)
    order = key.desc() if newest_first else key.asc()
    return statement.order_by(order).limit(bindparam("limit", type_=Integer))


def keyset(
    reads: Reads,
    table: Table,
    convert: Callable[[Row[Any]], T],
    *,
    seller_id: int,
    first: int | None,
    after: int | None,
    newest_first: bool = False,
    filters: Mapping[str, str] | None = None,
) -> Page[T]:
    """One page of the seller's rows of ``table`` (those whose columns equal ``filters``)
    after the row keyed ``after``."""
    size = page_size(first)
    wanted = dict(filters or {})
    statement = page_statement(table, tuple(sorted(wanted)), after is not None, newest_first)
    parameters: dict[str, object] = {"seller_id": seller_id, "limit": size + 1, **wanted}
    if after is not None:
        parameters["after"] = after
    rows = connection_of(reads).execute(statement, parameters).all()
    items = [convert(row) for row in rows[:size]]
    return Page(items, has_next=len(rows) > size, has_previous=after is not None)
