"""``Product`` and ``ProductVariant``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.loaders import loaders
from sellergate.api.relay import Node, node_id
from sellergate.api.types.money import Money, money_of
from sellergate.shop import products, variants

if TYPE_CHECKING:
    from sellergate.api.types.listings import Listing


@strawberry.type(description="Something a seller sells; its variants carry SKUs and prices.")
class Product(Node):
    title: str
    description: str
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]

    @strawberry.field(description="The product's variants, oldest first.")
    def variants(self, info: ApiInfo) -> list[ProductVariant]:
        found = loaders(info.context).variants_of_product.get(self.pk) or []
        return [variant_node(info.context, value) for value in found]


@strawberry.type(description="A version of a product (size, grade, edition) with SKU and price.")
class ProductVariant(Node):
    title: str
    sku: str | None
    price: Money
    created_at: datetime
    updated_at: datetime
    pk: strawberry.Private[int]
    product_pk: strawberry.Private[int]

    @strawberry.field
    def product(self, info: ApiInfo) -> Product:
        value = loaders(info.context).products.get(self.product_pk)
        assert value is not None  # a variant's product is the same seller's
        return product_node(info.context, value)

    @strawberry.field(description="The newest listing of this variant, if any.")
    def listing(
        self, info: ApiInfo
    ) -> Annotated[Listing, strawberry.lazy("sellergate.api.types.listings")] | None:
        from sellergate.api.types.listings import listing_node

        value = loaders(info.context).listing_of_variant.get(self.pk)
        return listing_node(info.context, value) if value is not None else None


def product_node(context: ApiContext, value: products.Product) -> Product:
    loaders(context).variants_of_product.expect([value.id])
    return Product(
        id=node_id("Product", value.id),
        title=value.title,
        description=value.description,
        created_at=value.created_at,
        updated_at=value.updated_at,
        pk=value.id,
    )


def variant_node(context: ApiContext, value: variants.Variant) -> ProductVariant:
    batch = loaders(context)
    batch.products.expect([value.product_id])
    batch.listing_of_variant.expect([value.id])
    return ProductVariant(
        id=node_id("ProductVariant", value.id),
        title=value.title,
        sku=value.sku,
        price=money_of(value.price),
        created_at=value.created_at,
        updated_at=value.updated_at,
        pk=value.id,
        product_pk=value.product_id,
    )
