"""Products: what a seller sells; variants and listings hang off them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.orm import Session

from sellergate.shop.owned import Reader, get_owned
from sellergate.shop.pagination import Page, keyset
from sellergate.shop.reads import Reads
from sellergate.shop.validation import MAX_DESCRIPTION, MAX_TITLE, text
from sellergate.storage import shop_models as rows
from sellergate.storage.types import utcnow


class Product(NamedTuple):
    id: int
    title: str
    description: str
    created_at: datetime
    updated_at: datetime


def _product(row: rows.Product | Row[Any]) -> Product:
    return Product(row.id, row.title, row.description, row.created_at, row.updated_at)


READER = Reader(rows.Product, _product)


def create_product(
    session: Session, seller_id: int, *, title: str, description: str = ""
) -> Product:
    product = rows.Product(
        seller_id=seller_id,
        title=text(title, "title", max_length=MAX_TITLE),
        description=text(description, "description", max_length=MAX_DESCRIPTION, required=False),
    )
    session.add(product)
    session.flush()
    return _product(product)


def update_product(
    session: Session,
    seller_id: int,
    product_id: int,
    *,
    title: str | None = None,
    description: str | None = None,
) -> Product:
    product = get_owned(session, rows.Product, seller_id, product_id)
    new_title = text(title, "title", max_length=MAX_TITLE) if title is not None else None
    new_description = (
        text(description, "description", max_length=MAX_DESCRIPTION, required=False)
        if description is not None
        else None
    )
    if new_title is not None:
        product.title = new_title
    if new_description is not None:
        product.description = new_description
    product.updated_at = utcnow()
    session.flush()
    return _product(product)


def delete_product(session: Session, seller_id: int, product_id: int) -> int:
    """Delete a product with its variants and listings; orders keep their copies."""
    product = get_owned(session, rows.Product, seller_id, product_id)
    session.delete(product)
    session.flush()
    return product_id


def list_products(
    reads: Reads, seller_id: int, *, first: int | None, after: int | None
) -> Page[Product]:
    return keyset(reads, READER.table, _product, seller_id=seller_id, first=first, after=after)


def products_by_ids(reads: Reads, seller_id: int, ids: Iterable[int]) -> dict[int, Product]:
    return READER.by_ids(reads, seller_id, ids)


def find_product(reads: Reads, seller_id: int, product_id: int) -> Product | None:
    return READER.one(reads, seller_id, product_id)
