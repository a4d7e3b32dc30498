"""Orders: purchases by buyers, shipped with tracking codes or cancelled by the seller.

An order is ``PAID`` when placed, ``SHIPPED`` once it has a tracking code and ``CANCELLED`` when
the seller cancels it before shipping, which puts the items back in stock.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row
from sqlalchemy.orm import Session

from sellergate.shop.customers import Customer
from sellergate.shop.listings import return_stock, take_stock
from sellergate.shop.money import Money
from sellergate.shop.owned import Reader, get_owned, owned_by_ids
from sellergate.shop.pagination import Page, keyset
from sellergate.shop.reads import Reads
from sellergate.shop.validation import invalid, quantity
from sellergate.storage import shop_models as rows
from sellergate.storage.types import utcnow


class OrderStatus(enum.StrEnum):
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


class Carrier(enum.StrEnum):
    USPS = "USPS"
    UPS = "UPS"
    FEDEX = "FEDEX"
    DHL = "DHL"
    OTHER = "OTHER"


TRACKING_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")


class Order(NamedTuple):
    id: int
    customer_id: int
    status: OrderStatus
    total: Money
    created_at: datetime
    updated_at: datetime


class LineItem(NamedTuple):
    """What was bought, copied at purchase time so that it outlives the listing."""

    order_id: int
    listing_id: int | None
    title: str
    sku: str | None
    unit_price: Money
    quantity: int

    @property
    def total(self) -> Money:
        return self.unit_price.times(self.quantity)


class TrackingCode(NamedTuple):
    order_id: int
    carrier: Carrier
    code: str
    created_at: datetime


def _order(row: rows.Order | Row[Any]) -> Order:
    return Order(
        row.id,
        row.customer_id,
        OrderStatus(row.status),
        Money(row.total_amount, row.currency),
        row.created_at,
        row.updated_at,
    )


def _line_item(row: rows.OrderLineItem | Row[Any]) -> LineItem:
    return LineItem(
        row.order_id,
        row.listing_id,
        row.title,
        row.sku,
        Money(row.unit_price_amount, row.currency),
        row.quantity,
    )


def _tracking_code(row: rows.TrackingCode | Row[Any]) -> TrackingCode:
    return TrackingCode(row.order_id, Carrier(row.carrier), row.code, row.created_at)


READER = Reader(rows.Order, _order)
LINE_ITEMS = Reader(rows.OrderLineItem, _line_item, parent="order_id")
TRACKING_CODES = Reader(rows.TrackingCode, _tracking_code, parent="order_id")


def place_order(
    session: Session,
    seller_id: int,
    *,
    customer: Customer,
    listing_id: int,
    count: int,
    placed_at: datetime | None = None,
) -> Order:
    """Record a purchase of ``count`` items from a published listing with enough stock;
    ``placed_at`` backdates it (the demo shop's history)."""
    wanted = quantity(count, "quantity")
    listing = get_owned(session, rows.Listing, seller_id, listing_id, field="listing", lock=True)
    if listing.price_amount is None and listing.kind != "GIVEAWAY":
        raise invalid("the listing has no price", "listing", "INVALID_STATE")
    take_stock(listing, wanted)
    product = get_owned(session, rows.Product, seller_id, listing.product_id)
    title, sku = product.title, None
    if listing.variant_id is not None:
        variant = get_owned(session, rows.ProductVariant, seller_id, listing.variant_id)
        title, sku = f"{product.title} ({variant.title})"[:255], variant.sku
    unit = listing.price_amount or 0
    order = rows.Order(
        seller_id=seller_id,
        customer_id=customer.id,
        status=OrderStatus.PAID.value,
        total_amount=unit * wanted,
        currency=listing.currency,
    )
    if placed_at is not None:
        order.created_at = order.updated_at = placed_at
    session.add(order)
    session.flush()
    session.add(
        rows.OrderLineItem(
            seller_id=seller_id,
            order_id=order.id,
            listing_id=listing.id,
            title=title,
            sku=sku,
            unit_price_amount=unit,
            currency=listing.currency,
            quantity=wanted,
        )
    )
    session.flush()
    return _order(order)


def add_tracking_code(
    session: Session, seller_id: int, order_id: int, *, carrier: Carrier, code: str
) -> tuple[Order, TrackingCode]:
    """Record a shipment: the order becomes ``SHIPPED``."""
    cleaned = code.strip()
    if len(cleaned) > 64:
        raise invalid("code must be at most 64 characters", "code", "TOO_LONG")
    if not TRACKING_CODE.match(cleaned):
        raise invalid("code must be 4-64 letters, digits or '-'", "code")
    order = get_owned(session, rows.Order, seller_id, order_id, field="orderId", lock=True)
    if order.status == OrderStatus.CANCELLED:
        raise invalid("the order was cancelled", "orderId", "INVALID_STATE")
    tracking = rows.TrackingCode(
        seller_id=seller_id, order_id=order.id, carrier=carrier.value, code=cleaned
    )
    session.add(tracking)
    order.status = OrderStatus.SHIPPED.value
    order.updated_at = utcnow()
    session.flush()
    return _order(order), _tracking_code(tracking)


def cancel_order(session: Session, seller_id: int, order_id: int) -> Order:
    """Cancel an order that has not shipped and put its items back in stock."""
    order = get_owned(session, rows.Order, seller_id, order_id, lock=True)
    if order.status != OrderStatus.PAID:
        raise invalid(f"a {order.status.lower()} order cannot be cancelled", "id", "INVALID_STATE")
    items = line_items_by_order(session, seller_id, [order.id]).get(order.id, [])
    listing_ids = [item.listing_id for item in items if item.listing_id is not None]
    listings = owned_by_ids(session, rows.Listing, seller_id, listing_ids)
    for item in items:
        if item.listing_id in listings:
            return_stock(listings[item.listing_id], item.quantity)
    order.status = OrderStatus.CANCELLED.value
    order.updated_at = utcnow()
    session.flush()
    return _order(order)


def list_orders(
    reads: Reads,
    seller_id: int,
    *,
    first: int | None,
    after: int | None,
    status: OrderStatus | None = None,
) -> Page[Order]:
    """Newest first."""
    return keyset(
        reads,
        READER.table,
        _order,
        seller_id=seller_id,
        first=first,
        after=after,
        newest_first=True,
        filters={"status": status.value} if status is not None else None,
    )


def find_order(reads: Reads, seller_id: int, order_id: int) -> Order | None:
    return READER.one(reads, seller_id, order_id)


def line_items_by_order(
    reads: Reads, seller_id: int, order_ids: Iterable[int]
) -> dict[int, list[LineItem]]:
    return LINE_ITEMS.by_parent(reads, seller_id, order_ids)


def tracking_codes_by_order(
    reads: Reads, seller_id: int, order_ids: Iterable[int]
) -> dict[int, list[TrackingCode]]:
    return TRACKING_CODES.by_parent(reads, seller_id, order_ids)
