"""The shop services on both databases: validation, isolation, keyset pagination, stock."""

from __future__ import annotations

import pytest

from sellergate.accounts.sellers import create_seller
from sellergate.errors import InvalidInput, UnknownReference
from sellergate.shop import listings, products, variants
from sellergate.shop.listings import ListingKind, ListingStatus
from sellergate.shop.money import Money, parse_money
from sellergate.shop.pagination import MAX_PAGE_SIZE
from sellergate.storage.database import Database


def _sellers(db: Database) -> tuple[int, int]:
    with db.session(write=True) as session:
        alice = create_seller(session, "alice", "alice@example.com", "correct-horse-battery").id
        bob = create_seller(session, "bob", "bob@example.com", "correct-horse-battery").id
    return alice, bob


def test_money_parsing() -> None:
    assert parse_money("12.5", "usd", "price") == Money(1250, "USD")
    assert parse_money("1200", "JPY", "price").amount == "1200"
    assert Money(1250, "USD").amount == "12.50"
    for bad, code in [
        ("-1", "OUT_OF_RANGE"),
        ("1.005", "INVALID"),
        ("abc", "INVALID"),
        ("NaN", "INVALID"),
        ("10000000", "OUT_OF_RANGE"),
        ("1" * 40, "TOO_LONG"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            parse_money(bad, "USD", "price")
        assert caught.value.code == code, bad
        assert caught.value.field == "price"
    with pytest.raises(InvalidInput):
        parse_money("1", "XXX", "price")


def test_pages_walk_everything_once_even_after_deletions(db: Database) -> None:
    alice, bob = _sellers(db)
    with db.session(write=True) as session:
        ids = [products.create_product(session, alice, title=f"p{i}").id for i in range(25)]
        products.create_product(session, bob, title="bob's")
    seen: list[int] = []
    after = None
    with db.session(write=True) as session:
        while True:
            page = products.list_products(session, alice, first=10, after=after)
            seen += [row.id for row in page.items]
            if not page.has_next:
                break
            after = page.items[-1].id
            # delete the cursor row and the next one: the walk continues where it was
            products.delete_product(session, alice, after)
            if after + 1 in ids:
                products.delete_product(session, alice, after + 1)
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    assert set(seen) <= set(ids)
    with db.session() as session:
        assert len(products.list_products(session, alice, first=500, after=None).items) <= (
            MAX_PAGE_SIZE
        )
        with pytest.raises(InvalidInput):
            products.list_products(session, alice, first=0, after=None)


def test_another_sellers_objects_are_not_found(db: Database) -> None:
    alice, bob = _sellers(db)
    with db.session(write=True) as session:
        product = products.create_product(session, alice, title="Card")
        variant = variants.create_variant(
            session, alice, product_id=product.id, title="PSA 10", price=Money(100, "USD")
        )
    with db.session(write=True) as session:
        with pytest.raises(UnknownReference):
            products.update_product(session, bob, product.id, title="mine")
        with pytest.raises(UnknownReference) as caught:
            variants.create_variant(
                session, bob, product_id=product.id, title="x", price=Money(1, "USD")
            )
        assert caught.value.field == "productId"
        with pytest.raises(UnknownReference):
            listings.create_listing(
                session,
                bob,
                product_id=product.id,
                variant_id=variant.id,
                kind=ListingKind.BUY_IT_NOW,
                quantity_available=1,
            )
        assert products.list_products(session, bob, first=10, after=None).items == []


def test_listing_lifecycle_and_stock(db: Database) -> None:
    alice, _ = _sellers(db)
    with db.session(write=True) as session:
        product = products.create_product(session, alice, title="Booster")
        listing = listings.create_listing(
            session,
            alice,
            product_id=product.id,
            kind=ListingKind.BUY_IT_NOW,
            quantity_available=2,
            price=Money(500, "USD"),
        )
        assert listing.status == ListingStatus.DRAFT
        listings.publish_listing(session, alice, listing.id)
        listing = listings.adjust_quantity(session, alice, listing.id, -2)
        assert listing.status == ListingStatus.SOLD_OUT
        with pytest.raises(InvalidInput) as caught:
            listings.adjust_quantity(session, alice, listing.id, -1)
        assert caught.value.code == "INSUFFICIENT_QUANTITY"
        listing = listings.adjust_quantity(session, alice, listing.id, 3)
        assert listing.status == ListingStatus.PUBLISHED
        for bad in (0, 10**9):
            with pytest.raises(InvalidInput):
                listings.adjust_quantity(session, alice, listing.id, bad)
        with pytest.raises(InvalidInput):
            listings.create_listing(
                session,
                alice,
                product_id=product.id,
                kind=ListingKind.BUY_IT_NOW,
                quantity_available=1,
            )
        with pytest.raises(InvalidInput):
            listings.create_listing(
                session,
                alice,
                product_id=product.id,
                kind=ListingKind.BUY_IT_NOW,
                quantity_available=0,
                price=Money(1, "USD"),
            )
