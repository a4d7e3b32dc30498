"""Product variants: a size, colour or grade of a product, with its own SKU and price."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.orm import Session

from sellergate.shop.money import Money
from sellergate.shop.owned import Reader, get_owned
from sellergate.shop.pagination import Page, keyset
from sellergate.shop.reads import Reads
from sellergate.shop.validation import MAX_SKU, MAX_TITLE, text
from sellergate.storage import shop_models as rows
from sellergate.storage.types import utcnow


class Variant(NamedTuple):
    id: int
    product_id: int
    title: str
    sku: str | None
    price: Money
    created_at: datetime
    updated_at: datetime


def _variant(row: rows.ProductVariant | Row[Any]) -> Variant:
    return Variant(
        row.id,
        row.product_id,
        row.title,
        row.sku,
        Money(row.price_amount, row.currency),
        row.created_at,
        row.updated_at,
    )


READER = Reader(rows.ProductVariant, _variant, parent="product_id")


def _sku(sku: str | None) -> str | None:
    if sku is None:
        return None
    return text(sku, "sku", max_length=MAX_SKU, required=False) or None


def create_variant(
    session: Session,
    seller_id: int,
    *,
    product_id: int,
    title: str,
    price: Money,
    sku: str | None = None,
) -> Variant:
    product = get_owned(session, rows.Product, seller_id, product_id, field="productId")
    variant = rows.ProductVariant(
        seller_id=seller_id,
        product_id=product.id,
        title=text(title, "title", max_length=MAX_TITLE),
        sku=_sku(sku),
        price_amount=price.minor,
        currency=price.currency,
    )
    session.add(variant)
    session.flush()
    return _variant(variant)


def update_variant(
    session: Session,
    seller_id: int,
    variant_id: int,
    *,
    title: str | None = None,
    sku: str | None = None,
    price: Money | None = None,
) -> Variant:
    variant = get_owned(session, rows.ProductVariant, seller_id, variant_id)
    new_title = text(title, "title", max_length=MAX_TITLE) if title is not None else None
    new_sku = _sku(sku)
    if new_title is not None:
        variant.title = new_title
    if sku is not None:
        variant.sku = new_sku
    if price is not None:
        variant.price_amount, variant.currency = price.minor, price.currency
    variant.updated_at = utcnow()
    session.flush()
    return _variant(variant)


def delete_variant(session: Session, seller_id: int, variant_id: int) -> int:
    """Delete a variant and its listings; orders keep their copies."""
    variant = get_owned(session, rows.ProductVariant, seller_id, variant_id)
    session.delete(variant)
    session.flush()
    return variant_id


def list_variants(
    reads: Reads, seller_id: int, *, first: int | None, after: int | None
) -> Page[Variant]:
    return keyset(reads, READER.table, _variant, seller_id=seller_id, first=first, after=after)


def variants_by_ids(reads: Reads, seller_id: int, ids: Iterable[int]) -> dict[int, Variant]:
    return READER.by_ids(reads, seller_id, ids)


def find_variant(reads: Reads, seller_id: int, variant_id: int) -> Variant | None:
    return READER.one(reads, seller_id, variant_id)


def variants_by_product(
    reads: Reads, seller_id: int, product_ids: Iterable[int]
) -> dict[int, list[Variant]]:
    return READER.by_parent(reads, seller_id, product_ids)
