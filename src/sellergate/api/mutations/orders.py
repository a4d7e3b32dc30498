"""``addTrackingCode`` and ``orderCancel`` (write:orders)."""

from __future__ import annotations

import strawberry

from sellergate.api.context import ApiInfo
from sellergate.api.mutations.base import UserError, attempt
from sellergate.api.relay import local_id
from sellergate.api.types.orders import (
    Carrier,
    Order,
    TrackingCode,
    order_node,
    tracking_code_node,
)
from sellergate.scopes import Scope
from sellergate.shop import orders


@strawberry.input
class AddTrackingCodeInput:
    order_id: strawberry.ID
    carrier: Carrier
    code: str


@strawberry.type
class AddTrackingCodePayload:
    order: Order | None
    tracking_code: TrackingCode | None
    user_errors: list[UserError]


@strawberry.type
class OrderCancelPayload:
    order: Order | None
    user_errors: list[UserError]


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Record a shipment: the order becomes SHIPPED. Needs write:orders."
    )
    def add_tracking_code(
        self, info: ApiInfo, input: AddTrackingCodeInput
    ) -> AddTrackingCodePayload | None:
        done, errors = attempt(
            info,
            Scope.WRITE_ORDERS,
            lambda session, seller: orders.add_tracking_code(
                session,
                seller,
                local_id(input.order_id, "Order", "orderId"),
                carrier=input.carrier,
                code=input.code,
            ),
        )
        if done is None:
            return AddTrackingCodePayload(order=None, tracking_code=None, user_errors=errors)
        order, tracking = done
        return AddTrackingCodePayload(
            order=order_node(info.context, order),
            tracking_code=tracking_code_node(tracking),
            user_errors=[],
        )

    @strawberry.mutation(
        description="Cancel an order that has not shipped; its items go back in stock. "
        "Needs write:orders."
    )
    def order_cancel(self, info: ApiInfo, id: strawberry.ID) -> OrderCancelPayload | None:
        value, errors = attempt(
            info,
            Scope.WRITE_ORDERS,
            lambda session, seller: orders.cancel_order(session, seller, local_id(id, "Order")),
        )
        return OrderCancelPayload(
            order=order_node(info.context, value) if value else None, user_errors=errors
        )
