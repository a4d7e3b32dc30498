"""Lookups bound to a seller: another seller's row is indistinguishable from a missing one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sellergate.errors import UnknownReference
from sellergate.storage.shop_models import Customer, Listing, Order, Product, ProductVariant

Owned = TypeVar("Owned", Product, ProductVariant, Listing, Order, Customer)

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
