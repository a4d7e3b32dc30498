"""The Seller API schema: the one entry point, :func:`build_schema`."""

from __future__ import annotations

import re

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from sellergate.api.limits import DEFAULT_MAX_COST, extensions
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


_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


class SellerApiSchema(strawberry.Schema):
    hide_suggestions = False

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: a refused scope or a bad query is the client's, already in its
        response; a database fault goes to the outage log of the storage layer; anything else
        the HTTP endpoint logs once, with the reference it gives the client. In production, no
        message suggests names from the schema ("Did you mean ...?") to a stranger."""
        if self.hide_suggestions:
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)


def build_schema(settings: Settings | None = None) -> SellerApiSchema:
    """The schema, with the protections of :mod:`sellergate.api.limits`.

    ``settings`` decides whether introspection is on, the cost limit, and whether error
    messages may suggest names from the schema ("Did you mean ...?": not in production);
    without settings (the SDL export) introspection is on.
    """
    production = settings is not None and settings.production
    schema = SellerApiSchema(
        query=Query,
        mutation=Mutation,
        types=[BuyItNowListing, AuctionListing, GiveawayListing],
        extensions=extensions(
            introspection=settings.introspection_enabled if settings is not None else True,
            max_cost=settings.graphql_max_cost if settings is not None else DEFAULT_MAX_COST,
        ),
        config=StrawberryConfig(disable_field_suggestions=production),
    )
    schema.hide_suggestions = production
    return schema
