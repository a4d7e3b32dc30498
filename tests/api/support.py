"""Helpers for the Seller API tests (imported as ``api.support``).

``make_shop`` gives a seller a product, a variant, a published listing and one order with a
customer; :class:`ShopIds` holds their global IDs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sellergate.api.relay import global_id
from sellergate.shop import listings, products, variants
from sellergate.shop.listings import ListingKind
from sellergate.shop.money import Money
from sellergate.shop.simulate import simulate_order
from sellergate.storage.database import Database

Gql = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class ShopIds:
    product: str
    variant: str
    listing: str
    order: str
    customer: str


def make_shop(db: Database, seller_id: int) -> ShopIds:
    with db.session(write=True) as session:
        product = products.create_product(session, seller_id, title="Booster Box")
        variant = variants.create_variant(
            session,
            seller_id,
            product_id=product.id,
            title="Sealed",
            price=Money(9900, "USD"),
            sku="BB-1",
        )
        listing = listings.create_listing(
            session,
            seller_id,
            product_id=product.id,
            variant_id=variant.id,
            kind=ListingKind.BUY_IT_NOW,
            quantity_available=10,
        )
        listings.publish_listing(session, seller_id, listing.id)
        order = simulate_order(session, seller_id, listing.id, 2, rng_seed=1)
        return ShopIds(
            product=global_id("Product", product.id),
            variant=global_id("ProductVariant", variant.id),
            listing=global_id("Listing", listing.id),
            order=global_id("Order", order.id),
            customer=global_id("Customer", order.customer_id),
        )


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body.get("errors") or [])


def forbidden_scopes(body: dict[str, Any]) -> set[str]:
    return {
        error["extensions"]["requiredScope"]
        for error in errors_of(body)
        if (error.get("extensions") or {}).get("code") == "FORBIDDEN"
    }


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next one twice: 2^levels fields once expanded."""
    fragments = " ".join(
        f"fragment F{n} on Seller {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)
    )
    return f"query {{ me {{ ...F0 }} }} {fragments} fragment F{levels} on Seller {{ username }}"
