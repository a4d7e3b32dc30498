"""Lookups bound to a seller: another seller's row is indistinguishable from a missing one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sellergate.errors import UnknownReference
from sellergate.storage.shop_models import (
    Customer,
    Listing,
    Order,
    OrderLineItem,
    Product,
    ProductVariant,
    TrackingCode,
)

Owned = TypeVar("Owned", Product, ProductVariant, Listing, Order, Customer)
Child = TypeVar("Child", ProductVariant, OrderLineItem, TrackingCode)

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
    """The seller's row or :class:`UnknownReference` naming ``field``."""
    row = find_owned(session, model, seller_id, object_id, lock=lock)
    if row is None:
        raise UnknownReference(f"no {_NAMES[model]} with this ID", field=field)
    return row


def owned_by_ids(
    session: Session, model: type[Owned], seller_id: int, ids: Iterable[int]
) -> dict[int, Owned]:
    """Rows by id in one statement; ids that are not the seller's are simply absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    statement = select(model).where(model.seller_id == seller_id, model.id.in_(wanted))
    return {row.id: row for row in session.scalars(statement)}


def children_by_parent(
    session: Session, model: type[Child], parent: str, seller_id: int, parent_ids: Iterable[int]
) -> dict[int, list[Child]]:
    """The seller's rows of ``model`` grouped by their ``parent`` id column, oldest first, in
    one statement (for batch loading a page's children)."""
    wanted = sorted(set(parent_ids))
    found: dict[int, list[Child]] = defaultdict(list)
    if wanted:
        column = getattr(model, parent)
        statement = (
            select(model)
            .where(model.seller_id == seller_id, column.in_(wanted))
            .order_by(column, model.id)
        )
        for row in session.scalars(statement):
            found[getattr(row, parent)].append(row)
    return dict(found)
