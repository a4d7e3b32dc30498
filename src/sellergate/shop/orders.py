"""Orders: purchases by buyers, shipped with tracking codes or cancelled by the seller.

An order is ``PAID`` when placed, ``SHIPPED`` once it has a tracking code and ``CANCELLED`` when
the seller cancels it before shipping, which puts the items back in stock.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from sellergate.shop.listings import return_stock, take_stock
from sellergate.shop.owned import children_by_parent, get_owned, owned_by_ids
from sellergate.shop.pagination import Page, keyset
from sellergate.shop.validation import invalid, quantity
from sellergate.storage.shop_models import (
    Customer,
    Listing,
    Order,
    OrderLineItem,
    Product,
    ProductVariant,
    TrackingCode,
)
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


def place_order(
    session: Session, seller_id: int, *, customer: Customer, listing_id: int, count: int
) -> Order:
    """Record a purchase of ``count`` items from a published listing with enough stock."""
    wanted = quantity(count, "quantity")
    listing = get_owned(session, Listing, seller_id, listing_id, field="listing", lock=True)
    if listing.price_amount is None and listing.kind != "GIVEAWAY":
        raise invalid("the listing has no price", "listing", "INVALID_STATE")
    take_stock(listing, wanted)
    product = get_owned(session, Product, seller_id, listing.product_id)
    title, sku = product.title, None
    if listing.variant_id is not None:
        variant = get_owned(session, ProductVariant, seller_id, listing.variant_id)
        title, sku = f"{product.title} ({variant.title})"[:255], variant.sku
    unit = listing.price_amount or 0
    order = Order(
        seller_id=seller_id,
        customer_id=customer.id,
        status=OrderStatus.PAID.value,
        total_amount=unit * wanted,
        currency=listing.currency,
    )
    session.add(order)
    session.flush()
    session.add(
        OrderLineItem(
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
    return order


def add_tracking_code(
    session: Session, seller_id: int, order_id: int, *, carrier: Carrier, code: str
) -> tuple[Order, TrackingCode]:
    cleaned = code.strip()
    if len(cleaned) > 64:
        raise invalid("code must be at most 64 characters", "code", "TOO_LONG")
    if not TRACKING_CODE.match(cleaned):
        raise invalid("code must be 4-64 letters, digits or '-'", "code")
    order = get_owned(session, Order, seller_id, order_id, field="orderId", lock=True)
    if order.status == OrderStatus.CANCELLED:
        raise invalid("the order was cancelled", "orderId", "INVALID_STATE")
    tracking = TrackingCode(
        seller_id=seller_id, order_id=order.id, carrier=carrier.value, code=cleaned
    )
    session.add(tracking)
    order.status = OrderStatus.SHIPPED.value
    order.updated_at = utcnow()
    session.flush()
    return order, tracking


def cancel_order(session: Session, seller_id: int, order_id: int) -> Order:
    """Cancel an order that has not shipped and put its items back in stock."""
    order = get_owned(session, Order, seller_id, order_id, lock=True)
    if order.status != OrderStatus.PAID:
        raise invalid(f"a {order.status.lower()} order cannot be cancelled", "id", "INVALID_STATE")
    items = line_items_by_order(session, seller_id, [order.id]).get(order.id, [])
    listing_ids = [item.listing_id for item in items if item.listing_id is not None]
    listings = owned_by_ids(session, Listing, seller_id, listing_ids)
    for item in items:
        if item.listing_id in listings:
            return_stock(listings[item.listing_id], item.quantity)
    order.status = OrderStatus.CANCELLED.value
    order.updated_at = utcnow()
    session.flush()
    return order


def list_orders(
    session: Session,
    seller_id: int,
    *,
    first: int | None,
    after: int | None,
    status: OrderStatus | None = None,
) -> Page[Order]:
    """Newest first."""
    statement = select(Order).where(Order.seller_id == seller_id)
    if status is not None:
        statement = statement.where(Order.status == status.value)
    return keyset(session, statement, Order.id, first=first, after=after, newest_first=True)


def line_items_by_order(
    session: Session, seller_id: int, order_ids: Iterable[int]
) -> dict[int, list[OrderLineItem]]:
    return children_by_parent(session, OrderLineItem, "order_id", seller_id, order_ids)


def tracking_codes_by_order(
    session: Session, seller_id: int, order_ids: Iterable[int]
) -> dict[int, list[TrackingCode]]:
    return children_by_parent(session, TrackingCode, "order_id", seller_id, order_ids)
