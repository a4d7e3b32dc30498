"""``productCreate``, ``productUpdate``, ``productDelete`` (write:inventory)."""

from __future__ import annotations

import strawberry

from sellergate.api.context import ApiInfo
from sellergate.api.mutations.base import UserError, attempt
from sellergate.api.relay import local_id
from sellergate.api.types.products import Product, product_node
from sellergate.scopes import Scope
from sellergate.shop import products


@strawberry.input
class ProductCreateInput:
    title: str
    description: str = ""


@strawberry.input(description="Fields left out stay as they are.")
class ProductUpdateInput:
    title: str | None = None
    description: str | None = None


@strawberry.type
class ProductCreatePayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class ProductUpdatePayload:
    product: Product | None
    user_errors: list[UserError]


@strawberry.type
class ProductDeletePayload:
    deleted_product_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class ProductMutations:
    @strawberry.mutation(description="Create a product. Needs write:inventory.")
    def product_create(
        self, info: ApiInfo, input: ProductCreateInput
    ) -> ProductCreatePayload | None:
        value, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: products.create_product(
                session, seller, title=input.title, description=input.description
            ),
        )
        return ProductCreatePayload(
            product=product_node(info.context, value) if value else None, user_errors=errors
        )

    @strawberry.mutation(description="Change a product. Needs write:inventory.")
    def product_update(
        self, info: ApiInfo, id: strawberry.ID, input: ProductUpdateInput
    ) -> ProductUpdatePayload | None:
        value, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: products.update_product(
                session,
                seller,
                local_id(id, "Product"),
                title=input.title,
                description=input.description,
            ),
        )
        return ProductUpdatePayload(
            product=product_node(info.context, value) if value else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Delete a product with its variants and listings; orders keep their "
        "copies. Needs write:inventory."
    )
    def product_delete(self, info: ApiInfo, id: strawberry.ID) -> ProductDeletePayload | None:
        deleted, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: products.delete_product(
                session, seller, local_id(id, "Product")
            ),
        )
        return ProductDeletePayload(
            deleted_product_id=id if deleted is not None else None, user_errors=errors
        )
