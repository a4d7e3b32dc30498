"""The ``Query`` root: every field is bound to the token's seller and guarded by its scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.permissions import require
from sellergate.api.relay import Connection, Node, connection, global_id, parse_global_id
from sellergate.api.types.customers import customer_node
from sellergate.api.types.listings import Listing, ListingStatus, listing_node
from sellergate.api.types.orders import Order, OrderStatus, order_node
from sellergate.api.types.products import Product, ProductVariant, product_node, variant_node
from sellergate.api.types.seller import Seller
from sellergate.scopes import Scope
from sellergate.shop import listings, orders, products, variants
from sellergate.shop.listings import ListingStatus as DomainListingStatus
from sellergate.shop.orders import OrderStatus as DomainOrderStatus
from sellergate.shop.owned import find_owned
from sellergate.shop.pagination import DEFAULT_PAGE_SIZE
from sellergate.storage import shop_models as rows

First = Annotated[int | None, strawberry.argument(description="Page size, at most 100.")]
After = Annotated[str | None, strawberry.argument(description="endCursor of the previous page.")]

# type name -> (scope, row class, converter)
_NODES: dict[str, tuple[Scope, type, Callable[[ApiContext, object], Node]]] = {
    "Product": (Scope.READ_INVENTORY, rows.Product, product_node),  # type: ignore[dict-item]
    "ProductVariant": (Scope.READ_INVENTORY, rows.ProductVariant, variant_node),  # type: ignore[dict-item]
    "Listing": (Scope.READ_INVENTORY, rows.Listing, listing_node),  # type: ignore[dict-item]
    "Order": (Scope.READ_ORDERS, rows.Order, order_node),  # type: ignore[dict-item]
    "Customer": (Scope.READ_CUSTOMERS, rows.Customer, lambda _c, row: customer_node(row)),  # type: ignore[arg-type]
}


def _owned(info: ApiInfo, type_name: str, value: str) -> object | None:
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    model = _NODES[type_name][1]
    return find_owned(info.context.session, model, info.context.auth.seller_id, parsed[1])


@strawberry.type
class Query:
    @strawberry.field(description="The seller whose token made this request.")
    def me(self, info: ApiInfo) -> Seller:
        auth = info.context.auth  # the bearer check already read the seller's name
        return Seller(id=global_id("Seller", auth.seller_id), username=auth.username)

    @strawberry.field(description="Any object by its global ID; null if it is not yours.")
    def node(self, info: ApiInfo, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None:
            return None
        type_name, _ = parsed
        if type_name == "Seller":
            # Root resolvers get no instance (``self`` is None): call the function itself.
            me = Query.me(self, info)
            return me if me.id == id else None
        if type_name not in _NODES:
            return None
        scope, _model, convert = _NODES[type_name]
        require(info, scope)
        row = _owned(info, type_name, id)
        return convert(info.context, row) if row is not None else None

    @strawberry.field(description="Needs read:inventory.")
    def product(self, info: ApiInfo, id: strawberry.ID) -> Product | None:
        require(info, Scope.READ_INVENTORY)
        row = _owned(info, "Product", id)
        return product_node(info.context, row) if isinstance(row, rows.Product) else None

    @strawberry.field(description="Your products, oldest first. Needs read:inventory.")
    def products(
        self,
        info: ApiInfo,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[Product] | None:
        require(info, Scope.READ_INVENTORY)
        ctx = info.context
        return connection(
            lambda cursor: products.list_products(
                ctx.session, ctx.auth.seller_id, first=first, after=cursor
            ),
            after,
            lambda row: product_node(ctx, row),
            lambda row: row.id,
        )

    @strawberry.field(description="Needs read:inventory.")
    def product_variant(self, info: ApiInfo, id: strawberry.ID) -> ProductVariant | None:
        require(info, Scope.READ_INVENTORY)
        row = _owned(info, "ProductVariant", id)
        return variant_node(info.context, row) if isinstance(row, rows.ProductVariant) else None

    @strawberry.field(description="Your product variants, oldest first. Needs read:inventory.")
    def product_variants(
        self,
        info: ApiInfo,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
    ) -> Connection[ProductVariant] | None:
        require(info, Scope.READ_INVENTORY)
        ctx = info.context
        return connection(
            lambda cursor: variants.list_variants(
                ctx.session, ctx.auth.seller_id, first=first, after=cursor
            ),
            after,
            lambda row: variant_node(ctx, row),
            lambda row: row.id,
        )

    @strawberry.field(description="Needs read:inventory.")
    def listing(self, info: ApiInfo, id: strawberry.ID) -> Listing | None:
        require(info, Scope.READ_INVENTORY)
        row = _owned(info, "Listing", id)
        return listing_node(info.context, row) if isinstance(row, rows.Listing) else None

    @strawberry.field(description="Your listings, oldest first. Needs read:inventory.")
    def listings(
        self,
        info: ApiInfo,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        status: ListingStatus | None = None,
    ) -> Connection[Listing] | None:
        require(info, Scope.READ_INVENTORY)
        ctx = info.context
        wanted = DomainListingStatus(status.value) if status is not None else None
        return connection(
            lambda cursor: listings.list_listings(
                ctx.session, ctx.auth.seller_id, first=first, after=cursor, status=wanted
            ),
            after,
            lambda row: listing_node(ctx, row),
            lambda row: row.id,
        )

    @strawberry.field(description="Needs read:orders.")
    def order(self, info: ApiInfo, id: strawberry.ID) -> Order | None:
        require(info, Scope.READ_ORDERS)
        row = _owned(info, "Order", id)
        return order_node(info.context, row) if isinstance(row, rows.Order) else None

    @strawberry.field(description="Your orders, newest first. Needs read:orders.")
    def orders(
        self,
        info: ApiInfo,
        first: First = DEFAULT_PAGE_SIZE,
        after: After = None,
        status: OrderStatus | None = None,
    ) -> Connection[Order] | None:
        require(info, Scope.READ_ORDERS)
        ctx = info.context
        wanted = DomainOrderStatus(status.value) if status is not None else None
        return connection(
            lambda cursor: orders.list_orders(
                ctx.session, ctx.auth.seller_id, first=first, after=cursor, status=wanted
            ),
            after,
            lambda row: order_node(ctx, row),
            lambda row: row.id,
        )
