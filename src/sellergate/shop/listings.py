"""Listings: offers of a product on the marketplace, and the stock they hold.

A listing is created as a ``DRAFT``; publishing puts it on sale. Stock reaching zero marks a
published listing ``SOLD_OUT``, and stock coming back puts it on sale again.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from sellergate.shop.money import DEFAULT_CURRENCY, Money
from sellergate.shop.owned import Reader, get_owned
from sellergate.shop.pagination import Page, keyset
from sellergate.shop.reads import Reads, connection_of
from sellergate.shop.validation import MAX_QUANTITY, invalid, quantity
from sellergate.storage import shop_models as rows
from sellergate.storage.types import utcnow


class ListingKind(enum.StrEnum):
    BUY_IT_NOW = "BUY_IT_NOW"
    AUCTION = "AUCTION"
    GIVEAWAY = "GIVEAWAY"


class ListingStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    UNPUBLISHED = "UNPUBLISHED"
    SOLD_OUT = "SOLD_OUT"


class Listing(NamedTuple):
    id: int
    product_id: int
    variant_id: int | None
    kind: ListingKind
    status: ListingStatus
    price: Money | None  # the starting price of an auction; none for a giveaway
    quantity: int
    created_at: datetime
    updated_at: datetime


def _listing(row: rows.Listing | Row[Any]) -> Listing:
    amount = row.price_amount
    return Listing(
        row.id,
        row.product_id,
        row.variant_id,
        ListingKind(row.kind),
        ListingStatus(row.status),
        Money(amount, row.currency) if amount is not None else None,
        row.quantity,
        row.created_at,
        row.updated_at,
    )


READER = Reader(rows.Listing, _listing)
_BY_VARIANT = (
    select(READER.table)
    .where(
        READER.table.c.seller_id == bindparam("seller_id"),
        READER.table.c.variant_id.in_(bindparam("ids", expanding=True)),
    )
    .order_by(READER.table.c.id)
)


def _priced(
    kind: ListingKind, price: Money | None, variant: rows.ProductVariant | None
) -> Money | None:
    if kind is ListingKind.GIVEAWAY:
        if price is not None and price.minor != 0:
            raise invalid("a giveaway has no price", "price")
        return None
    if price is None and variant is not None:
        return Money(variant.price_amount, variant.currency)
    if price is None:
        raise invalid("a price is required (or a variant whose price to use)", "price")
    if kind is ListingKind.BUY_IT_NOW and price.minor == 0:
        raise invalid("a buy-it-now price must be above zero", "price", "OUT_OF_RANGE")
    return price


def create_listing(
    session: Session,
    seller_id: int,
    *,
    product_id: int,
    kind: ListingKind,
    quantity_available: int,
    variant_id: int | None = None,
    price: Money | None = None,
) -> Listing:
    product = get_owned(session, rows.Product, seller_id, product_id, field="productId")
    variant = None
    if variant_id is not None:
        variant = get_owned(session, rows.ProductVariant, seller_id, variant_id, field="variantId")
        if variant.product_id != product.id:
            raise invalid("the variant belongs to another product", "variantId")
    stock = quantity(quantity_available, "quantity")
    if kind is ListingKind.AUCTION and stock != 1:
        raise invalid("an auction sells exactly one item", "quantity", "OUT_OF_RANGE")
    chosen = _priced(kind, price, variant)
    listing = rows.Listing(
        seller_id=seller_id,
        product_id=product.id,
        variant_id=variant.id if variant else None,
        kind=kind.value,
        status=ListingStatus.DRAFT.value,
        price_amount=chosen.minor if chosen else None,
        currency=chosen.currency if chosen else DEFAULT_CURRENCY,
        quantity=stock,
    )
    session.add(listing)
    session.flush()
    return _listing(listing)


def _set_quantity(listing: rows.Listing, new_quantity: int) -> None:
    listing.quantity = new_quantity
    if listing.status == ListingStatus.PUBLISHED and new_quantity == 0:
        listing.status = ListingStatus.SOLD_OUT.value
    elif listing.status == ListingStatus.SOLD_OUT and new_quantity > 0:
        listing.status = ListingStatus.PUBLISHED.value
    listing.updated_at = utcnow()


def update_listing(
    session: Session,
    seller_id: int,
    listing_id: int,
    *,
    price: Money | None = None,
    quantity_available: int | None = None,
) -> Listing:
    listing = get_owned(session, rows.Listing, seller_id, listing_id, lock=True)
    kind = ListingKind(listing.kind)
    new_price = _priced(kind, price, None) if price is not None else None
    stock = None
    if quantity_available is not None:
        stock = quantity(quantity_available, "quantity", minimum=0)
        if kind is ListingKind.AUCTION and stock > 1:
            raise invalid("an auction sells exactly one item", "quantity", "OUT_OF_RANGE")
    if new_price is not None:
        listing.price_amount, listing.currency = new_price.minor, new_price.currency
    if stock is not None:
        _set_quantity(listing, stock)
    listing.updated_at = utcnow()
    session.flush()
    return _listing(listing)


def delete_listing(session: Session, seller_id: int, listing_id: int) -> int:
    listing = get_owned(session, rows.Listing, seller_id, listing_id)
    session.delete(listing)
    session.flush()
    return listing_id


def publish_listing(session: Session, seller_id: int, listing_id: int) -> Listing:
    listing = get_owned(session, rows.Listing, seller_id, listing_id, lock=True)
    if listing.status in (ListingStatus.PUBLISHED, ListingStatus.SOLD_OUT):
        return _listing(listing)
    if listing.quantity == 0:
        raise invalid("add stock before publishing", "id", "INSUFFICIENT_QUANTITY")
    listing.status = ListingStatus.PUBLISHED.value
    listing.updated_at = utcnow()
    session.flush()
    return _listing(listing)


def unpublish_listing(session: Session, seller_id: int, listing_id: int) -> Listing:
    listing = get_owned(session, rows.Listing, seller_id, listing_id, lock=True)
    if listing.status == ListingStatus.DRAFT:
        raise invalid("a draft listing was never published", "id", "INVALID_STATE")
    listing.status = ListingStatus.UNPUBLISHED.value
    listing.updated_at = utcnow()
    session.flush()
    return _listing(listing)


def adjust_quantity(session: Session, seller_id: int, listing_id: int, delta: int) -> Listing:
    """Add ``delta`` (negative to remove) to the stock, never below zero."""
    if delta == 0:
        raise invalid("delta must not be zero", "delta")
    if abs(delta) > MAX_QUANTITY:
        raise invalid(f"delta must be within ±{MAX_QUANTITY}", "delta", "OUT_OF_RANGE")
    listing = get_owned(session, rows.Listing, seller_id, listing_id, lock=True)
    new_quantity = listing.quantity + delta
    if new_quantity < 0:
        raise invalid(f"only {listing.quantity} in stock", "delta", "INSUFFICIENT_QUANTITY")
    if new_quantity > MAX_QUANTITY or (listing.kind == ListingKind.AUCTION and new_quantity > 1):
        raise invalid("that would be more stock than a listing holds", "delta", "OUT_OF_RANGE")
    _set_quantity(listing, new_quantity)
    session.flush()
    return _listing(listing)


def take_stock(listing: rows.Listing, wanted: int) -> None:
    """Remove ``wanted`` items for a purchase; the listing must be on sale with enough stock."""
    if listing.status not in (ListingStatus.PUBLISHED, ListingStatus.SOLD_OUT):
        raise invalid("the listing is not published", "listing", "INVALID_STATE")
    if listing.quantity < wanted:
        raise invalid(f"only {listing.quantity} in stock", "quantity", "INSUFFICIENT_QUANTITY")
    _set_quantity(listing, listing.quantity - wanted)


def return_stock(listing: rows.Listing, returned: int) -> None:
    _set_quantity(listing, min(listing.quantity + returned, MAX_QUANTITY))


def list_listings(
    reads: Reads,
    seller_id: int,
    *,
    first: int | None,
    after: int | None,
    status: ListingStatus | None = None,
) -> Page[Listing]:
    return keyset(
        reads,
        READER.table,
        _listing,
        seller_id=seller_id,
        first=first,
        after=after,
        filters={"status": status.value} if status is not None else None,
    )


def listings_by_ids(reads: Reads, seller_id: int, ids: Iterable[int]) -> dict[int, Listing]:
    return READER.by_ids(reads, seller_id, ids)


def find_listing(reads: Reads, seller_id: int, listing_id: int) -> Listing | None:
    return READER.one(reads, seller_id, listing_id)


def listings_by_variant(
    reads: Reads, seller_id: int, variant_ids: Iterable[int]
) -> dict[int, Listing]:
    """The newest listing of each variant."""
    wanted = sorted(set(variant_ids))
    found: dict[int, Listing] = {}
    if wanted:
        result = connection_of(reads).execute(_BY_VARIANT, {"seller_id": seller_id, "ids": wanted})
        for row in result:
            found[row.variant_id] = _listing(row)
    return found
