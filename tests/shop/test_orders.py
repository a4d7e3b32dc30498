"""Orders: simulated purchases, tracking codes, cancellation, and the seeded demo shop."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sellergate.accounts.sellers import create_seller
from sellergate.errors import InvalidInput, UnknownReference
from sellergate.shop import listings, orders, products
from sellergate.shop.listings import ListingKind, ListingStatus
from sellergate.shop.money import Money
from sellergate.shop.orders import Carrier, OrderStatus
from sellergate.shop.seed import seed_demo_shop
from sellergate.shop.simulate import simulate_order
from sellergate.storage.database import Database
from sellergate.storage.shop_models import Customer, Listing, Order, Product


def _shop(db: Database) -> tuple[int, int, int]:
    with db.session(write=True) as session:
        alice = create_seller(session, "alice", "alice@example.com", "correct-horse-battery").id
        bob = create_seller(session, "bob", "bob@example.com", "correct-horse-battery").id
        product = products.create_product(session, alice, title="Booster")
        listing = listings.create_listing(
            session,
            alice,
            product_id=product.id,
            kind=ListingKind.BUY_IT_NOW,
            quantity_available=3,
            price=Money(1999, "USD"),
        )
    return alice, bob, listing.id


def test_simulated_purchase_takes_stock_and_refuses_what_it_cannot_sell(db: Database) -> None:
    alice, bob, listing_id = _shop(db)
    with pytest.raises(InvalidInput) as caught, db.session(write=True) as session:
        simulate_order(session, alice, listing_id, 1)
    assert caught.value.code == "INVALID_STATE"  # still a draft
    with db.session(write=True) as session:
        listings.publish_listing(session, alice, listing_id)
        order = simulate_order(session, alice, listing_id, 2, rng_seed=7)
        assert order.total == Money(3998, "USD") and order.status == OrderStatus.PAID
    with pytest.raises(InvalidInput) as caught, db.session(write=True) as session:
        simulate_order(session, alice, listing_id, 2)
    assert caught.value.code == "INSUFFICIENT_QUANTITY"
    with pytest.raises(UnknownReference), db.session(write=True) as session:
        simulate_order(session, bob, listing_id, 1)
    with db.session() as session:
        listing = session.get(Listing, listing_id)
        assert listing is not None and listing.quantity == 1
        customers = session.scalar(select(func.count()).select_from(Customer))
        assert customers == 1  # failed purchases left nothing behind


def test_ship_and_cancel(db: Database) -> None:
    alice, bob, listing_id = _shop(db)
    with db.session(write=True) as session:
        listings.publish_listing(session, alice, listing_id)
        first = simulate_order(session, alice, listing_id, 1).id
        second = simulate_order(session, alice, listing_id, 2).id
        listing = session.get(Listing, listing_id)
        assert listing is not None and listing.status == ListingStatus.SOLD_OUT
        with pytest.raises(UnknownReference):
            orders.add_tracking_code(session, bob, first, carrier=Carrier.UPS, code="1Z999")
        with pytest.raises(InvalidInput):
            orders.add_tracking_code(session, alice, first, carrier=Carrier.UPS, code="x" * 65)
        shipped, code = orders.add_tracking_code(
            session, alice, first, carrier=Carrier.UPS, code="1Z999AA10123456784"
        )
        assert shipped.status == OrderStatus.SHIPPED and code.carrier == "UPS"
        with pytest.raises(InvalidInput):
            orders.cancel_order(session, alice, first)
        cancelled = orders.cancel_order(session, alice, second)
        assert cancelled.status == OrderStatus.CANCELLED
        assert listing.quantity == 2 and listing.status == ListingStatus.PUBLISHED
        with pytest.raises(InvalidInput):
            orders.add_tracking_code(session, alice, second, carrier=Carrier.DHL, code="ABCD1")


def test_seeded_demo_shop_is_believable_and_repeatable(db: Database) -> None:
    with db.session(write=True) as session:
        alice = create_seller(session, "alice", "alice@example.com", "correct-horse-battery").id
        bob = create_seller(session, "bob", "bob@example.com", "correct-horse-battery").id
        first = seed_demo_shop(session, alice, rng_seed=3)
        second = seed_demo_shop(session, bob, rng_seed=3)
    assert first == second
    assert first.products >= 24 and first.variants > first.products
    assert first.listings >= 24 and first.orders >= 24
    with db.session() as session:
        statuses = set(session.scalars(select(Order.status).where(Order.seller_id == alice)))
        assert statuses == {"PAID", "SHIPPED", "CANCELLED"}
        count = session.scalar(select(func.count()).select_from(Product))
        assert count == 2 * first.products
