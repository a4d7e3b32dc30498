"""A believable demo shop: collectibles with variants, listings in every state, and orders."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from faker import Faker
from sqlalchemy.orm import Session

from sellergate.shop.customers import Customer
from sellergate.shop.listings import ListingKind, create_listing, publish_listing, unpublish_listing
from sellergate.shop.money import Money
from sellergate.shop.orders import Carrier, add_tracking_code, cancel_order, place_order
from sellergate.shop.products import create_product
from sellergate.shop.simulate import generate_customer
from sellergate.shop.variants import create_variant
from sellergate.storage.types import utcnow

_LINES = [
    ("Pokémon", "Booster Pack", ["Scarlet & Violet", "Paldea Evolved", "Obsidian Flames"]),
    ("Magic: The Gathering", "Collector Booster", ["Foundations", "Duskmourn", "Bloomburrow"]),
    ("One Piece", "Booster Box", ["Romance Dawn", "Paramount War", "Pillars of Strength"]),
    ("Topps Chrome", "Hobby Box", ["Baseball 2024", "Football 2024", "Soccer 2024"]),
    ("Funko Pop!", "Vinyl Figure", ["Common", "Chase", "Convention Exclusive"]),
    ("Air Jordan 1", "Retro High OG", ["US 9", "US 10", "US 11"]),
    ("Vintage Levi's", "501 Jeans", ["W30 L32", "W32 L32", "W34 L34"]),
    ("Hot Wheels", "Treasure Hunt", ["Super", "Regular", "Red Line Club"]),
    ("LEGO", "Star Wars Set", ["Sealed", "Open box", "Used, complete"]),
    ("Yu-Gi-Oh!", "Tin", ["2023", "2024", "25th Anniversary"]),
    ("Graded Card", "PSA Slab", ["PSA 8", "PSA 9", "PSA 10"]),
    ("Vinyl Record", "First Pressing", ["VG", "VG+", "NM"]),
]
_QUALIFIERS = ["", "Sealed ", "Rare ", "Limited ", "Signed "]


@dataclass(frozen=True, slots=True)
class SeedSummary:
    products: int
    variants: int
    listings: int
    orders: int
    customers: int


def seed_demo_shop(
    session: Session, seller_id: int, *, rng_seed: int = 2024, products: int = 36
) -> SeedSummary:
    """Fill a seller's shop; the same ``rng_seed`` gives the same shop."""
    rng = random.Random(rng_seed)
    fake = Faker("en_US")
    fake.seed_instance(rng_seed)
    counts = {"variants": 0, "listings": 0}
    stock: dict[int, int] = {}  # what is left on sale, listing by listing
    for index in range(products):
        brand, kind, options = _LINES[index % len(_LINES)]
        title = f"{rng.choice(_QUALIFIERS)}{brand} {kind} #{index + 1}"
        product = create_product(session, seller_id, title=title, description=fake.sentence(12))
        base = rng.randint(8, 400) * 100 - 1
        for number, option in enumerate(options[: rng.randint(1, 3)]):
            price = Money(base + number * 500, "USD")
            sku = f"{brand[:3].upper()}-{index + 1:03d}-{number + 1}"
            variant = create_variant(
                session, seller_id, product_id=product.id, title=option, price=price, sku=sku
            )
            counts["variants"] += 1
            listing_kind = rng.choices(list(ListingKind), weights=[8, 2, 1])[0]
            listing = create_listing(
                session,
                seller_id,
                product_id=product.id,
                variant_id=variant.id,
                kind=listing_kind,
                quantity_available=1 if listing_kind is ListingKind.AUCTION else rng.randint(1, 25),
            )
            counts["listings"] += 1
            state = rng.random()
            if state < 0.8:
                publish_listing(session, seller_id, listing.id)
                if listing_kind is not ListingKind.AUCTION:
                    stock[listing.id] = listing.quantity
            elif state < 0.9:
                publish_listing(session, seller_id, listing.id)
                unpublish_listing(session, seller_id, listing.id)
    customers: list[Customer] = [generate_customer(session, seller_id, fake) for _ in range(24)]
    orders = 0
    now = utcnow()
    on_sale = list(stock)
    for number in range(min(48, len(on_sale) * 2)):
        listing_id = rng.choice(on_sale)
        if stock[listing_id] < 1:
            continue
        count = min(stock[listing_id], rng.choice([1, 1, 1, 2, 3]))
        stock[listing_id] -= count
        order = place_order(
            session,
            seller_id,
            customer=rng.choice(customers),
            listing_id=listing_id,
            count=count,
            placed_at=now - timedelta(hours=(48 - number) * 11),
        )
        orders += 1
        fate = rng.random()
        if fate < 0.45:
            code = "1Z" + "".join(rng.choices("0123456789ABCDEFGHJKLMNPRSTUVWXYZ", k=16))
            add_tracking_code(
                session, seller_id, order.id, carrier=rng.choice(list(Carrier)[:4]), code=code
            )
        elif fate < 0.55:
            cancel_order(session, seller_id, order.id)
            stock[listing_id] += count  # a cancelled order puts its items back
    session.flush()
    return SeedSummary(
        products=products,
        variants=counts["variants"],
        listings=counts["listings"],
        orders=orders,
        customers=len(customers),
    )
