"""``Product`` and ``ProductVariant``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.loaders import loaders
from sellergate.api.relay import Node, global_id
from sellergate.api.types.money import Money, money_of
from sellergate.storage import shop_models as rows

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
        return [variant_node(info.context, row) for row in found]


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
        row = loaders(info.context).products.get(self.product_pk)
        assert row is not None
        return product_node(info.context, row)

    @strawberry.field(description="The newest listing of this variant, if any.")
    def listing(
        self, info: ApiInfo
    ) -> Annotated[Listing, strawberry.lazy("sellergate.api.types.listings")] | None:
        from sellergate.api.types.listings import listing_node

        row = loaders(info.context).listing_of_variant.get(self.pk)
        return listing_node(info.context, row) if row is not None else None


def product_node(context: ApiContext, row: rows.Product) -> Product:
    loaders(context).variants_of_product.expect([row.id])
    return Product(
        id=global_id("Product", row.id),
        title=row.title,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        pk=row.id,
    )


def variant_node(context: ApiContext, row: rows.ProductVariant) -> ProductVariant:
    batch = loaders(context)
    batch.products.expect([row.product_id])
    batch.listing_of_variant.expect([row.id])
    return ProductVariant(
        id=global_id("ProductVariant", row.id),
        title=row.title,
        sku=row.sku,
        price=money_of(row.price_amount, row.currency),
        created_at=row.created_at,
        updated_at=row.updated_at,
        pk=row.id,
        product_pk=row.product_id,
    )
