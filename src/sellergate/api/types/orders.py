"""``Order``, its ``OrderLineItem``s and ``TrackingCode``s."""

from __future__ import annotations

from datetime import datetime

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.loaders import loaders
from sellergate.api.permissions import require
from sellergate.api.relay import Node, global_id
from sellergate.api.types.customers import Customer, customer_node
from sellergate.api.types.listings import Listing, listing_node
from sellergate.api.types.money import Money, money_of
from sellergate.scopes import Scope
from sellergate.shop.orders import Carrier as DomainCarrier
from sellergate.shop.orders import OrderStatus as DomainOrderStatus
from sellergate.storage import shop_models as rows

strawberry.enum(
    DomainOrderStatus,
    name="OrderStatus",
    description="PAID when placed; SHIPPED once it has a tracking code; CANCELLED by the seller.",
)
strawberry.enum(DomainCarrier, name="Carrier", description="Shipping carriers.")
OrderStatus = DomainOrderStatus
Carrier = DomainCarrier


@strawberry.type(description="A shipment's tracking code.")
class TrackingCode:
    carrier: Carrier
    code: str
    created_at: datetime


@strawberry.type(
    description="What was bought: copied at purchase time, so it outlives the listing."
)
class OrderLineItem:
    title: str
    sku: str | None
    quantity: int
    unit_price: Money
    total: Money
    listing_pk: strawberry.Private[int | None]

    @strawberry.field(description="The listing it was bought from, unless since deleted.")
    def listing(self, info: ApiInfo) -> Listing | None:
        require(info, Scope.READ_INVENTORY)
        if self.listing_pk is None:
            return None
        row = loaders(info.context).listings.get(self.listing_pk)
        return listing_node(info.context, row) if row is not None else None


@strawberry.type(description="A purchase by a buyer.")
class Order(Node):
    status: OrderStatus
    total: Money
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]
    customer_pk: strawberry.Private[int]

    @strawberry.field
    def line_items(self, info: ApiInfo) -> list[OrderLineItem]:
        found = loaders(info.context).line_items.get(self.pk) or []
        return [_line_item(row) for row in found]

    @strawberry.field
    def tracking_codes(self, info: ApiInfo) -> list[TrackingCode]:
        found = loaders(info.context).tracking_codes.get(self.pk) or []
        return [
            TrackingCode(
                carrier=DomainCarrier(row.carrier), code=row.code, created_at=row.created_at
            )
            for row in found
        ]

    @strawberry.field(description="The buyer; needs the read:customers scope.")
    def customer(self, info: ApiInfo) -> Customer | None:
        require(info, Scope.READ_CUSTOMERS)
        row = loaders(info.context).customers.get(self.customer_pk)
        return customer_node(row) if row is not None else None


def _line_item(row: rows.OrderLineItem) -> OrderLineItem:
    return OrderLineItem(
        title=row.title,
        sku=row.sku,
        quantity=row.quantity,
        unit_price=money_of(row.unit_price_amount, row.currency),
        total=money_of(row.unit_price_amount * row.quantity, row.currency),
        listing_pk=row.listing_id,
    )


def order_node(context: ApiContext, row: rows.Order) -> Order:
    batch = loaders(context)
    batch.line_items.expect([row.id])
    batch.tracking_codes.expect([row.id])
    batch.customers.expect([row.customer_id])
    return Order(
        id=global_id("Order", row.id),
        status=DomainOrderStatus(row.status),
        total=money_of(row.total_amount, row.currency),
        created_at=row.created_at,
        updated_at=row.updated_at,
        pk=row.id,
        customer_pk=row.customer_id,
    )
