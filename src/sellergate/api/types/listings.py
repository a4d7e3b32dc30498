"""``Listing``: an interface over ``BuyItNowListing``, ``AuctionListing``, ``GiveawayListing``."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.loaders import loaders
from sellergate.api.relay import Node, node_id
from sellergate.api.types.money import Money, money_of
from sellergate.api.types.products import Product, ProductVariant, product_node, variant_node
from sellergate.shop import listings
from sellergate.shop.listings import ListingKind
from sellergate.shop.listings import ListingStatus as DomainListingStatus

strawberry.enum(
    DomainListingStatus,
    name="ListingStatus",
    description="DRAFT when created; PUBLISHED on sale; SOLD_OUT when its stock ran out.",
)
strawberry.enum(ListingKind, name="ListingType", description="How it sells.")
ListingStatus = DomainListingStatus
ListingType = ListingKind


@strawberry.interface(description="An offer of a product (or one of its variants) for sale.")
class Listing(Node):
    quantity: int = strawberry.field(description="Items left to sell.")
    status: ListingStatus
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]
    product_pk: strawberry.Private[int]
    variant_pk: strawberry.Private[int | None]

    @strawberry.field
    def product(self, info: ApiInfo) -> Product:
        value = loaders(info.context).products.get(self.product_pk)
        assert value is not None  # a listing's product is the same seller's
        return product_node(info.context, value)

    @strawberry.field
    def variant(self, info: ApiInfo) -> ProductVariant | None:
        if self.variant_pk is None:
            return None
        value = loaders(info.context).variants.get(self.variant_pk)
        return variant_node(info.context, value) if value is not None else None


@strawberry.type(description="Sold at a fixed price.")
class BuyItNowListing(Listing):
    price: Money


@strawberry.type(description="Sold to the highest bidder, starting at a price.")
class AuctionListing(Listing):
    starting_price: Money


@strawberry.type(description="Given away in a show; it has no price.")
class GiveawayListing(Listing):
    pass


def listing_node(context: ApiContext, value: listings.Listing) -> Listing:
    batch = loaders(context)
    batch.products.expect([value.product_id])
    if value.variant_id is not None:
        batch.variants.expect([value.variant_id])
    if value.kind is ListingKind.GIVEAWAY or value.price is None:
        return _fill(GiveawayListing, value)
    price = money_of(value.price)
    if value.kind is ListingKind.AUCTION:
        return _fill(AuctionListing, value, starting_price=price)
    return _fill(BuyItNowListing, value, price=price)


L = TypeVar("L", BuyItNowListing, AuctionListing, GiveawayListing)


def _fill(cls: type[L], value: listings.Listing, **extra: Money) -> L:
    return cls(
        id=node_id("Listing", value.id),
        quantity=value.quantity,
        status=value.status,
        created_at=value.created_at,
        updated_at=value.updated_at,
        pk=value.id,
        product_pk=value.product_id,
        variant_pk=value.variant_id,
        **extra,
    )
