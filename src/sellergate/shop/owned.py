r"""Lookups bound to a seller: another seller's row is indistinguishable from a missing one.

Two kinds: the write paths lock and change ORM rows (:func:`get_owned`) and never hand them
out; the read paths select plain rows with Core (no identity map, no attribute
instrumentation) and turn them into the shop's values (:class:`Reader`). Those values are
typed ``NamedTuple``\ s: immutable like frozen dataclasses, and about five times cheaper to
build, which matters when a page of orders builds hundreds of them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.orm import Session

from sellergate.errors import UnknownReference
from sellergate.shop.reads import Reads, connection_of
from sellergate.storage.shop_models import (
    Customer,
    Listing,
    Order,
    Product,
    ProductVariant,
)

Owned = TypeVar("Owned", Product, ProductVariant, Listing, Order, Customer)
V = TypeVar("V")

_NAMES = {
    Product: "product",
    ProductVariant: "product variant",
    Listing: "listing",
    Order: "order",
    Customer: "customer",
}


def find_owned(
    session: Session, model: type[Owned], seller_id: int, object_id: int, *, lock: bool = False
) -> Owned | None:
    statement = select(model).where(model.id == object_id, model.seller_id == seller_id)
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def get_owned(
    session: Session,
    model: type[Owned],
    seller_id: int,
    object_id: int,
    *,
    field: str = "id",
    lock: bool = False,
) -> Owned:
    """The seller's row (for a write) or :class:`UnknownReference` naming ``field``."""
    row = find_owned(session, model, seller_id, object_id, lock=lock)
    if row is None:
        raise UnknownReference(f"no {_NAMES[model]} with this ID", field=field)
    return row


def owned_by_ids(
    session: Session, model: type[Owned], seller_id: int, ids: Iterable[int]
) -> dict[int, Owned]:
    """Rows (for a write) by id in one statement; ids that are not the seller's are absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    statement = select(model).where(model.seller_id == seller_id, model.id.in_(wanted))
    return {row.id: row for row in session.scalars(statement)}


class Reader(Generic[V]):
    """Reads one table's rows as values of type ``V``, always filtered by seller.

    Its statements are built once, with bound parameters, so a read costs no statement
    construction; every one walks an index that starts with ``seller_id``.
    """

    def __init__(
        self, model: type[Any], convert: Callable[[Row[Any]], V], *, parent: str | None = None
    ) -> None:
        table = model.__table__
        assert isinstance(table, Table)
        self.table = table
        self.convert = convert
        columns = self.table.c
        self._by_ids = select(self.table).where(
            columns.seller_id == bindparam("seller_id"),
            columns.id.in_(bindparam("ids", expanding=True)),
        )
        self._parent = parent
        if parent is not None:
            self._by_parent = (
                select(self.table)
                .where(
                    columns.seller_id == bindparam("seller_id"),
                    columns[parent].in_(bindparam("ids", expanding=True)),
                )
                .order_by(columns[parent], columns.id)
            )

    def by_ids(self, reads: Reads, seller_id: int, ids: Iterable[int]) -> dict[int, V]:
        """Values by id in one statement; ids that are not the seller's are simply absent."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        result = connection_of(reads).execute(self._by_ids, {"seller_id": seller_id, "ids": wanted})
        return {row.id: self.convert(row) for row in result}

    def one(self, reads: Reads, seller_id: int, object_id: int) -> V | None:
        return self.by_ids(reads, seller_id, [object_id]).get(object_id)

    def by_parent(
        self, reads: Reads, seller_id: int, parent_ids: Iterable[int]
    ) -> dict[int, list[V]]:
        """Values grouped by their parent's id, oldest first, in one statement (for batch
        loading a page's children)."""
        assert self._parent is not None
        wanted = sorted(set(parent_ids))
        found: dict[int, list[V]] = defaultdict(list)
        if wanted:
            result = connection_of(reads).execute(
                self._by_parent, {"seller_id": seller_id, "ids": wanted}
            )
            for row in result:
                found[row._mapping[self._parent]].append(self.convert(row))
        return dict(found)
