"""``Order``, its ``OrderLineItem``s and ``TrackingCode``s."""

from __future__ import annotations

from datetime import datetime

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.loaders import loaders
from sellergate.api.permissions import require
from sellergate.api.relay import Node, node_id
from sellergate.api.types.customers import Customer, customer_node
from sellergate.api.types.listings import Listing, listing_node
from sellergate.api.types.money import Money, money_of
from sellergate.scopes import Scope
from sellergate.shop import orders
from sellergate.shop.orders import Carrier as DomainCarrier
from sellergate.shop.orders import OrderStatus as DomainOrderStatus

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
        value = loaders(info.context).listings.get(self.listing_pk)
        return listing_node(info.context, value) if value is not None else None


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
        return [_line_item(value) for value in found]

    @strawberry.field
    def tracking_codes(self, info: ApiInfo) -> list[TrackingCode]:
        found = loaders(info.context).tracking_codes.get(self.pk) or []
        return [tracking_code_node(value) for value in found]

    @strawberry.field(description="The buyer; needs the read:customers scope.")
    def customer(self, info: ApiInfo) -> Customer | None:
        require(info, Scope.READ_CUSTOMERS)
        value = loaders(info.context).customers.get(self.customer_pk)
        return customer_node(value) if value is not None else None


def _line_item(value: orders.LineItem) -> OrderLineItem:
    return OrderLineItem(
        title=value.title,
        sku=value.sku,
        quantity=value.quantity,
        unit_price=money_of(value.unit_price),
        total=money_of(value.total),
        listing_pk=value.listing_id,
    )


def tracking_code_node(value: orders.TrackingCode) -> TrackingCode:
    return TrackingCode(carrier=value.carrier, code=value.code, created_at=value.created_at)


def order_node(context: ApiContext, value: orders.Order) -> Order:
    batch = loaders(context)
    batch.line_items.expect([value.id])
    batch.tracking_codes.expect([value.id])
    batch.customers.expect([value.customer_id])
    return Order(
        id=node_id("Order", value.id),
        status=value.status,
        total=money_of(value.total),
        created_at=value.created_at,
        updated_at=value.updated_at,
        pk=value.id,
        customer_pk=value.customer_id,
    )
