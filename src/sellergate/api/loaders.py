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
    def fetch_line_items(order_ids: list[int]) -> dict[int, list[OrderLineItem]]:
        found = line_items_by_order(session, seller_id, order_ids)
        listings.expect(
            item.listing_id for items in found.values() for item in items if item.listing_id
        )
        return found

    listings: Batch[int, Listing] = Batch(
        lambda ids: owned_by_ids(session, Listing, seller_id, ids)
    )
    return Loaders(
        products=Batch(lambda ids: owned_by_ids(session, Product, seller_id, ids)),
        variants=Batch(lambda ids: owned_by_ids(session, ProductVariant, seller_id, ids)),
        listings=listings,
        customers=Batch(lambda ids: owned_by_ids(session, Customer, seller_id, ids)),
        variants_of_product=Batch(lambda ids: variants_by_product(session, seller_id, ids)),
        listing_of_variant=Batch(lambda ids: listings_by_variant(session, seller_id, ids)),
        line_items=Batch(fetch_line_items),
        tracking_codes=Batch(lambda ids: tracking_codes_by_order(session, seller_id, ids)),
    )


def loaders(context: ApiContext) -> Loaders:
    """This request's loaders, made on first use."""
    found = context.cache.get(Loaders)
    if found is None:
        found = context.cache[Loaders] = _build(context.session, context.auth.seller_id)
    assert isinstance(found, Loaders)
    return found
