"""Simulated purchases: orders come from buyers outside the Seller API; this stands in for them.

Faker, which makes the buyers up, is part of the ``demo`` extra, not of the server.
"""

from __future__ import annotations

from faker import Faker
from sqlalchemy.orm import Session

from sellergate.shop.customers import Address, Customer, create_customer
from sellergate.shop.orders import Order, place_order
from sellergate.shop.validation import quantity


def simulate_order(
    session: Session,
    seller_id: int,
    listing_id: int,
    count: int = 1,
    *,
    rng_seed: int | None = None,
) -> Order:
    """A generated customer buys ``count`` items of a published listing."""
    quantity(count, "quantity")
    fake = Faker("en_US")
    if rng_seed is not None:
        fake.seed_instance(rng_seed)
    customer = generate_customer(session, seller_id, fake)
    return place_order(session, seller_id, customer=customer, listing_id=listing_id, count=count)


def generate_customer(session: Session, seller_id: int, fake: Faker) -> Customer:
    """A believable US buyer made up by Faker (the marketplace's buyers are outside this API)."""
    first, last = fake.first_name(), fake.last_name()
    address = Address(
        line1=fake.street_address(),
        line2=fake.secondary_address() if fake.pybool() else "",
        city=fake.city(),
        region=fake.state_abbr(),
        postal_code=fake.postcode(),
        country_code="US",
    )
    return create_customer(
        session,
        seller_id,
        name=f"{first} {last}",
        email=f"{first}.{last}{fake.random_int(1, 999)}@{fake.free_email_domain()}".lower(),
        phone=fake.numerify("+1-###-###-####"),
        address=address,
    )
