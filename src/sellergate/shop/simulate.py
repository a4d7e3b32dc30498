"""Simulated purchases: orders come from buyers outside the Seller API; this stands in for them."""

from __future__ import annotations

from faker import Faker
from sqlalchemy.orm import Session

from sellergate.shop.customers import generate_customer
from sellergate.shop.orders import place_order
from sellergate.shop.validation import quantity
from sellergate.storage.shop_models import Order


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
