"""``Customer`` and ``Address``: personal data, readable only with ``read:customers``."""

from __future__ import annotations

import strawberry

from sellergate.api.relay import Node, node_id
from sellergate.shop import customers


@strawberry.type(description="A postal address.")
class Address:
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2.")


@strawberry.type(description="A buyer: who to ship an order to.")
class Customer(Node):
    name: str
    email: str
    phone: str
    shipping_address: Address


def customer_node(value: customers.Customer) -> Customer:
    address = value.address
    return Customer(
        id=node_id("Customer", value.id),
        name=value.name,
        email=value.email,
        phone=value.phone,
        shipping_address=Address(
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country_code=address.country_code,
        ),
    )
