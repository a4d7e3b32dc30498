"""Variant mutations: ``productVariantCreate``, ``...Update``, ``...Delete`` (write:inventory)."""

from __future__ import annotations

import strawberry

from sellergate.api.context import ApiInfo
from sellergate.api.mutations.base import UserError, attempt
from sellergate.api.relay import local_id
from sellergate.api.types.money import MoneyInput
from sellergate.api.types.products import ProductVariant, variant_node
from sellergate.scopes import Scope
from sellergate.shop import variants


@strawberry.input
class ProductVariantCreateInput:
    product_id: strawberry.ID
    title: str
    price: MoneyInput
    sku: str | None = None


@strawberry.input(description="Fields left out stay as they are.")
class ProductVariantUpdateInput:
    title: str | None = None
    sku: str | None = None
    price: MoneyInput | None = None


@strawberry.type
class ProductVariantCreatePayload:
    product_variant: ProductVariant | None
    user_errors: list[UserError]


@strawberry.type
class ProductVariantUpdatePayload:
    product_variant: ProductVariant | None
    user_errors: list[UserError]


@strawberry.type
class ProductVariantDeletePayload:
    deleted_product_variant_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class VariantMutations:
    @strawberry.mutation(description="Add a variant to a product. Needs write:inventory.")
    def product_variant_create(
        self, info: ApiInfo, input: ProductVariantCreateInput
    ) -> ProductVariantCreatePayload | None:
        value, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: variants.create_variant(
                session,
                seller,
                product_id=local_id(input.product_id, "Product", "productId"),
                title=input.title,
                price=input.price.parse("price"),
                sku=input.sku,
            ),
        )
        return ProductVariantCreatePayload(
            product_variant=variant_node(info.context, value) if value else None, user_errors=errors
        )

    @strawberry.mutation(description="Change a variant. Needs write:inventory.")
    def product_variant_update(
        self, info: ApiInfo, id: strawberry.ID, input: ProductVariantUpdateInput
    ) -> ProductVariantUpdatePayload | None:
        value, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: variants.update_variant(
                session,
                seller,
                local_id(id, "ProductVariant"),
                title=input.title,
                sku=input.sku,
                price=input.price.parse("price") if input.price else None,
            ),
        )
        return ProductVariantUpdatePayload(
            product_variant=variant_node(info.context, value) if value else None, user_errors=errors
        )

    @strawberry.mutation(description="Delete a variant and its listings. Needs write:inventory.")
    def product_variant_delete(
        self, info: ApiInfo, id: strawberry.ID
    ) -> ProductVariantDeletePayload | None:
        deleted, errors = attempt(
            info,
            Scope.WRITE_INVENTORY,
            lambda session, seller: variants.delete_variant(
                session, seller, local_id(id, "ProductVariant")
            ),
        )
        return ProductVariantDeletePayload(
            deleted_product_variant_id=id if deleted is not None else None, user_errors=errors
        )
