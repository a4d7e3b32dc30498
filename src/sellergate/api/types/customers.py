"""``Customer`` and ``Address``: personal data, readable only with ``read:customers``."""

from __future__ import annotations

import strawberry

from sellergate.api.relay import Node, global_id
from sellergate.storage import shop_models as rows


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


def customer_node(row: rows.Customer) -> Customer:
    return Customer(
        id=global_id("Customer", row.id),
        name=row.name,
        email=row.email,
        phone=row.phone,
        shipping_address=Address(
            line1=row.address_line1,
            line2=row.address_line2,
            city=row.city,
            region=row.region,
            postal_code=row.postal_code,
            country_code=row.country_code,
        ),
    )
