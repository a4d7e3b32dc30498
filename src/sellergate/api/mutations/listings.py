"""Listing mutations (write:inventory): create (as a draft), update, delete, publish,
unpublish, adjust quantity."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from sqlalchemy.orm import Session

from sellergate.api.context import ApiInfo
from sellergate.api.mutations.base import UserError, attempt
from sellergate.api.relay import local_id
from sellergate.api.types.listings import Listing, ListingType, listing_node
from sellergate.api.types.money import MoneyInput
from sellergate.scopes import Scope
from sellergate.shop import listings


@strawberry.input
class ListingCreateInput:
    product_id: strawberry.ID
    type: ListingType
    quantity: int
    variant_id: strawberry.ID | None = None
    price: MoneyInput | None = strawberry.field(
        default=None,
        description="Price, or starting price of an auction; defaults to the variant's price. "
        "A giveaway has none.",
    )


@strawberry.input(description="Fields left out stay as they are.")
class ListingUpdateInput:
    price: MoneyInput | None = None
    quantity: int | None = None


@strawberry.type
class ListingPayload:
    listing: Listing | None
    user_errors: list[UserError]


@strawberry.type
class ListingDeletePayload:
    deleted_listing_id: strawberry.ID | None
    user_errors: list[UserError]


def _run(info: ApiInfo, action: Callable[[Session, int], listings.Listing]) -> ListingPayload:
    value, errors = attempt(info, Scope.WRITE_INVENTORY, action)
    return ListingPayload(
        listing=listing_node(info.context, value) if value else None, user_errors=errors
    )


@strawberry.type
class ListingMutations:
    @strawberry.mutation(
        description="Create a listing, unpublished (DRAFT). Needs write:inventory."
    )
    def listing_create(self, info: ApiInfo, input: ListingCreateInput) -> ListingPayload | None:
        return _run(
            info,
            lambda session, seller: listings.create_listing(
                session,
                seller,
                product_id=local_id(input.product_id, "Product", "productId"),
                variant_id=(
                    local_id(input.variant_id, "ProductVariant", "variantId")
                    if input.variant_id is not None
                    else None
                ),
                kind=listings.ListingKind(input.type.value),
                quantity_available=input.quantity,
                price=input.price.parse("price") if input.price else None,
            ),
        )

    @strawberry.mutation(description="Change price or stock. Needs write:inventory.")
    def listing_update(
        self, info: ApiInfo, id: strawberry.ID, input: ListingUpdateInput
    ) -> ListingPayload | None:
        return _run(
            info,
            lambda session, seller: listings.update_listing(
                session,
                seller,
                local_id(id, "Listing"),
                price=input.price.parse("price") if input.price else None,
                quantity_available=input.quantity,
            ),
        )

    @strawberry.mutation(description="Delete a listing; orders keep their copies.")
    def listing_delete(self, info: ApiInfo, id: strawberry.ID) -> ListingDeletePayload | None:
        deleted, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: listings.delete_listing(
                session, seller, local_id(id, "Listing")
            ),
        )
        return ListingDeletePayload(
            deleted_listing_id=id if deleted is not None else None, user_errors=errors
        )

    @strawberry.mutation(description="Put a listing on sale. Needs write:inventory.")
    def listing_publish(self, info: ApiInfo, id: strawberry.ID) -> ListingPayload | None:
        return _run(
            info,
            lambda session, seller: listings.publish_listing(
                session, seller, local_id(id, "Listing")
            ),
        )

    @strawberry.mutation(description="Take a listing off sale. Needs write:inventory.")
    def listing_unpublish(self, info: ApiInfo, id: strawberry.ID) -> ListingPayload | None:
        return _run(
            info,
            lambda session, seller: listings.unpublish_listing(
                session, seller, local_id(id, "Listing")
            ),
        )

    @strawberry.mutation(
        description="Add to (or, with a negative delta, take from) the stock; never below zero. "
        "Needs write:inventory."
    )
    def listing_adjust_quantity(
        self, info: ApiInfo, id: strawberry.ID, delta: int
    ) -> ListingPayload | None:
        return _run(
            info,
            lambda session, seller: listings.adjust_quantity(
                session, seller, local_id(id, "Listing"), delta
            ),
        )
