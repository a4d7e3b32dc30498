"""The ``Query`` root: every field is bound to the token's seller and guarded by its scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from sellergate.api.context import ApiContext, ApiInfo
from sellergate.api.permissions import require
from sellergate.api.relay import Connection, Node, connection, node_id, parse_global_id
from sellergate.api.types.customers import customer_node
from sellergate.api.types.listings import Listing, ListingStatus, listing_node
from sellergate.api.types.orders import Order, OrderStatus, order_node
from sellergate.api.types.products import Product, ProductVariant, product_node, variant_node
from sellergate.api.types.seller import Seller
from sellergate.scopes import Scope
from sellergate.shop import customers, listings, orders, products, variants
from sellergate.shop.pagination import DEFAULT_PAGE_SIZE

First = Annotated[int | None, strawberry.argument(description="Page size, at most 100.")]
After = Annotated[str | None, strawberry.argument(description="endCursor of the previous page.")]

# type name -> (scope, the shop's lookup by seller and id, converter to the GraphQL type)
_NODES: dict[
    str, tuple[Scope, Callable[[Any, int, int], Any], Callable[[ApiContext, Any], Node]]
] = {
    "Product": (Scope.READ_INVENTORY, products.find_product, product_node),
    "ProductVariant": (Scope.READ_INVENTORY, variants.find_variant, variant_node),
    "Listing": (Scope.READ_INVENTORY, listings.find_listing, listing_node),
    "Order": (Scope.READ_ORDERS, orders.find_order, order_node),
    "Customer": (
        Scope.READ_CUSTOMERS,
        customers.find_customer,
        lambda _context, value: customer_node(value),
    ),
}


def _owned(info: ApiInfo, type_name: str, value: str) -> Node | None:
    """The caller's object of ``type_name`` with global ID ``value`` (scope already checked)."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    _scope, find, convert = _NODES[type_name]
    context = info.context
    found = find(context.connection, context.auth.seller_id, parsed[1])
    return convert(context, found) if found is not None else None


@strawberry.type
class Query:
    @strawberry.field(description="The seller whose token made this request.")
    def me(self, info: ApiInfo) -> Seller:
        auth = info.context.auth  # the bearer check already read the seller's name
        return Seller(id=node_id("Seller", auth.seller_id), username=auth.username)

    @strawberry.field(description="Any object by its global ID; null if it is not yours.")
    def node(self, info: ApiInfo, id: strawberry.ID) -> Node | None:
        parsed = parse_global_id(id)
        if parsed is None:
            return None
        type_name, _ = parsed
        if type_name == "Seller":
            # Root resolvers get no instance (``self`` is None): call the function itself.
            return Query.me(self, info) if parsed[1] == info.context.auth.seller_id else None
        if type_name not in _NODES:
            return None
        require(info, _NODES[type_name][0])
        return _owned(info, type_name, id)

    @strawberry.field(description="Needs read:inventory.")
    def product(self, info: ApiInfo, id: strawberry.ID) -> Product | None:
        require(info, Scope.READ_INVENTORY)
        found = _owned(info, "Product", id)
        return found if isinstance(found, Product) else None

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
                ctx.connection, ctx.auth.seller_id, first=first, after=cursor
            ),
            after,
            lambda value: product_node(ctx, value),
            lambda value: value.id,
        )

    @strawberry.field(description="Needs read:inventory.")
    def product_variant(self, info: ApiInfo, id: strawberry.ID) -> ProductVariant | None:
        require(info, Scope.READ_INVENTORY)
        found = _owned(info, "ProductVariant", id)
        return found if isinstance(found, ProductVariant) else None

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
                ctx.connection, ctx.auth.seller_id, first=first, after=cursor
            ),
            after,
            lambda value: variant_node(ctx, value),
            lambda value: value.id,
        )

    @strawberry.field(description="Needs read:inventory.")
    def listing(self, info: ApiInfo, id: strawberry.ID) -> Listing | None:
        require(info, Scope.READ_INVENTORY)
        found = _owned(info, "Listing", id)
        return found if isinstance(found, Listing) else None

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
        return connection(
            lambda cursor: listings.list_listings(
                ctx.connection, ctx.auth.seller_id, first=first, after=cursor, status=status
            ),
            after,
            lambda value: listing_node(ctx, value),
            lambda value: value.id,
        )

    @strawberry.field(description="Needs read:orders.")
    def order(self, info: ApiInfo, id: strawberry.ID) -> Order | None:
        require(info, Scope.READ_ORDERS)
        found = _owned(info, "Order", id)
        return found if isinstance(found, Order) else None

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
        return connection(
            lambda cursor: orders.list_orders(
                ctx.connection, ctx.auth.seller_id, first=first, after=cursor, status=status
            ),
            after,
            lambda value: order_node(ctx, value),
            lambda value: value.id,
        )
