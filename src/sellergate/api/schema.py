"""The Seller API schema: the one entry point, :func:`build_schema`."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from sellergate.api.limits import extensions
from sellergate.api.mutations.listings import ListingMutations
from sellergate.api.mutations.orders import OrderMutations
from sellergate.api.mutations.products import ProductMutations
from sellergate.api.mutations.variants import VariantMutations
from sellergate.api.queries import Query
from sellergate.api.types.listings import AuctionListing, BuyItNowListing, GiveawayListing
from sellergate.config import Settings

Mutation = merge_types(
    "Mutation", (ProductMutations, VariantMutations, ListingMutations, OrderMutations)
)


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema, with the protections of :mod:`sellergate.api.limits`.

    ``settings`` decides whether introspection is on; without settings (the SDL export) it is.
    """
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[BuyItNowListing, AuctionListing, GiveawayListing],
        extensions=extensions(
            introspection=settings.introspection_enabled if settings is not None else True
        ),
    )
