"""Batch loading per request: a page of N objects costs one query per relation, not N.

Resolvers run synchronously, so Strawberry's async DataLoader does not fit. Instead, every
object put in a response registers the keys it will need (:meth:`Batch.expect`); the first
resolver that asks for one key loads all keys registered so far in one statement. Everything
is read through the shop's services, filtered by the caller's seller.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from sellergate.api.context import ApiContext
from sellergate.shop.customers import Customer, customers_by_ids
from sellergate.shop.listings import Listing, listings_by_ids, listings_by_variant
from sellergate.shop.orders import (
    LineItem,
    TrackingCode,
    line_items_by_order,
    tracking_codes_by_order,
)
from sellergate.shop.products import Product, products_by_ids
from sellergate.shop.reads import Reads
from sellergate.shop.variants import Variant, variants_by_ids, variants_by_product

K = TypeVar("K", bound=int)
V = TypeVar("V")


class Batch(Generic[K, V]):
    def __init__(self, fetch: Callable[[set[K]], Mapping[K, V]]) -> None:
        self._fetch = fetch
        self._pending: set[K] = set()
        self._done: set[K] = set()
        self._values: dict[K, V] = {}

    def expect(self, keys: Iterable[K]) -> None:
        self._pending.update(keys)

    def get(self, key: K) -> V | None:
        if key not in self._done:
            self._pending.add(key)
            wanted = self._pending - self._done
            self._pending = set()
            self._values.update(self._fetch(wanted))
            self._done |= wanted
        return self._values.get(key)


@dataclass
class Loaders:
    products: Batch[int, Product]
    variants: Batch[int, Variant]
    listings: Batch[int, Listing]
    customers: Batch[int, Customer]
    variants_of_product: Batch[int, list[Variant]]
    listing_of_variant: Batch[int, Listing]
    line_items: Batch[int, list[LineItem]]
    tracking_codes: Batch[int, list[TrackingCode]]


def _build(reads: Reads, seller_id: int) -> Loaders:
    # Each fetch also registers the keys its values lead to, so that the next level down is
    # loaded for the whole page at once too, however deep the query goes.
    def fetch_line_items(order_ids: set[int]) -> dict[int, list[LineItem]]:
        found = line_items_by_order(reads, seller_id, order_ids)
        batch.listings.expect(
            item.listing_id
            for items in found.values()
            for item in items
            if item.listing_id is not None
        )
        return found

    def fetch_listings(ids: set[int]) -> dict[int, Listing]:
        return _listed(listings_by_ids(reads, seller_id, ids))

    def fetch_listing_of_variant(ids: set[int]) -> dict[int, Listing]:
        return _listed(listings_by_variant(reads, seller_id, ids))

    def _listed(found: dict[int, Listing]) -> dict[int, Listing]:
        batch.products.expect(value.product_id for value in found.values())
        batch.variants.expect(
            value.variant_id for value in found.values() if value.variant_id is not None
        )
        return found

    def fetch_variants(ids: set[int]) -> dict[int, Variant]:
        found = variants_by_ids(reads, seller_id, ids)
        _varied(found.values())
        return found

    def fetch_variants_of_product(ids: set[int]) -> dict[int, list[Variant]]:
        found = variants_by_product(reads, seller_id, ids)
        _varied(value for values in found.values() for value in values)
        return found

    def _varied(found: Iterable[Variant]) -> None:
        for value in found:
            batch.products.expect([value.product_id])
            batch.listing_of_variant.expect([value.id])

    def fetch_products(ids: set[int]) -> dict[int, Product]:
        found = products_by_ids(reads, seller_id, ids)
        batch.variants_of_product.expect(found)
        return found

    batch = Loaders(
        products=Batch(fetch_products),
        variants=Batch(fetch_variants),
        listings=Batch(fetch_listings),
        customers=Batch(lambda ids: customers_by_ids(reads, seller_id, ids)),
        variants_of_product=Batch(fetch_variants_of_product),
        listing_of_variant=Batch(fetch_listing_of_variant),
        line_items=Batch(fetch_line_items),
        tracking_codes=Batch(lambda ids: tracking_codes_by_order(reads, seller_id, ids)),
    )
    return batch


def loaders(context: ApiContext) -> Loaders:
    """This request's loaders, made on first use."""
    found = context.cache.get(Loaders)
    if found is None:
        found = context.cache[Loaders] = _build(context.connection, context.auth.seller_id)
    assert isinstance(found, Loaders)
    return found
