"""Batch loading per request: a page of N objects costs one query per relation, not N.

Resolvers run synchronously in one worker thread (see ``web/graphql.py``), so Strawberry's
async DataLoader does not fit. Instead, every object put in a response registers the keys it
will need (:meth:`Batch.expect`); the first resolver that asks for one key loads all keys
registered so far in one statement. Everything is filtered by the caller's seller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from sellergate.api.context import ApiContext
from sellergate.shop.listings import listings_by_variant
from sellergate.shop.orders import line_items_by_order, tracking_codes_by_order
from sellergate.shop.owned import owned_by_ids
from sellergate.shop.variants import variants_by_product
from sellergate.storage.shop_models import (
    Customer,
    Listing,
    OrderLineItem,
    Product,
    ProductVariant,
    TrackingCode,
)

K = TypeVar("K")
V = TypeVar("V")


class Batch(Generic[K, V]):
    def __init__(self, fetch: Callable[[list[K]], Mapping[K, V]]) -> None:
        self._fetch = fetch
        self._pending: set[K] = set()
        self._done: set[K] = set()
        self._values: dict[K, V] = {}

    def expect(self, keys: Iterable[K]) -> None:
        self._pending.update(key for key in keys if key not in self._done)

    def get(self, key: K) -> V | None:
        if key not in self._done:
            wanted = self._pending | {key}
            self._pending = set()
            self._values.update(self._fetch(sorted(wanted)))  # type: ignore[type-var]
            self._done |= wanted
        return self._values.get(key)


@dataclass
class Loaders:
    products: Batch[int, Product]
    variants: Batch[int, ProductVariant]
    listings: Batch[int, Listing]
    customers: Batch[int, Customer]
    variants_of_product: Batch[int, list[ProductVariant]]
    listing_of_variant: Batch[int, Listing]
    line_items: Batch[int, list[OrderLineItem]]
    tracking_codes: Batch[int, list[TrackingCode]]


def _build(session: Session, seller_id: int) -> Loaders:
    # Each fetch also registers the keys its rows lead to, so that the next level down is
    # loaded for the whole page at once too, however deep the query goes.
    def fetch_line_items(order_ids: list[int]) -> dict[int, list[OrderLineItem]]:
        found = line_items_by_order(session, seller_id, order_ids)
        batch.listings.expect(
            item.listing_id for items in found.values() for item in items if item.listing_id
        )
        return found

    def fetch_listings(ids: list[int]) -> dict[int, Listing]:
        return _listed(owned_by_ids(session, Listing, seller_id, ids))

    def fetch_listing_of_variant(ids: list[int]) -> dict[int, Listing]:
        return _listed(listings_by_variant(session, seller_id, ids))

    def _listed(found: dict[int, Listing]) -> dict[int, Listing]:
        batch.products.expect(row.product_id for row in found.values())
        batch.variants.expect(row.variant_id for row in found.values() if row.variant_id)
        return found

    def fetch_variants(ids: list[int]) -> dict[int, ProductVariant]:
        found = owned_by_ids(session, ProductVariant, seller_id, ids)
        _varied(found.values())
        return found

    def fetch_variants_of_product(ids: list[int]) -> dict[int, list[ProductVariant]]:
        found = variants_by_product(session, seller_id, ids)
        _varied(row for rows in found.values() for row in rows)
        return found

    def _varied(found: Iterable[ProductVariant]) -> None:
        for row in found:
            batch.products.expect([row.product_id])
            batch.listing_of_variant.expect([row.id])

    def fetch_products(ids: list[int]) -> dict[int, Product]:
        found = owned_by_ids(session, Product, seller_id, ids)
        batch.variants_of_product.expect(found)
        return found

    batch = Loaders(
        products=Batch(fetch_products),
        variants=Batch(fetch_variants),
        listings=Batch(fetch_listings),
        customers=Batch(lambda ids: owned_by_ids(session, Customer, seller_id, ids)),
        variants_of_product=Batch(fetch_variants_of_product),
        listing_of_variant=Batch(fetch_listing_of_variant),
        line_items=Batch(fetch_line_items),
        tracking_codes=Batch(lambda ids: tracking_codes_by_order(session, seller_id, ids)),
    )
    return batch


def loaders(context: ApiContext) -> Loaders:
    """This request's loaders, made on first use."""
    found = context.cache.get(Loaders)
    if found is None:
        found = context.cache[Loaders] = _build(context.session, context.auth.seller_id)
    assert isinstance(found, Loaders)
    return found
