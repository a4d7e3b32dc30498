"""Every query and mutation of the Seller API with the scope it needs, as a table for tests.

Each entry builds its document and variables from the seller's objects (``ShopIds``), so the
same table drives the scope matrix and the isolation tests. Destructive operations come last.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sellergate.scopes import Scope

Ids = Any  # ShopIds, kept loose so this module stays import-free of conftest


@dataclass(frozen=True)
class Operation:
    name: str
    scope: Scope
    document: str
    variables: Callable[[Ids], dict[str, Any]]
    mutation: bool = False
    also: tuple[Scope, ...] = ()  # further scopes needed to reach the guarded field

    @property
    def root(self) -> str:
        return self.name.split("(")[0].split(".")[0]

    @property
    def nested(self) -> bool:
        return "." in self.name


ERRORS = "userErrors { field message code }"


def _q(
    name: str,
    scope: Scope,
    document: str,
    variables: Callable[[Ids], dict[str, Any]],
    also: tuple[Scope, ...] = (),
) -> Operation:
    return Operation(name, scope, document, variables, also=also)


def _m(
    name: str, scope: Scope, document: str, variables: Callable[[Ids], dict[str, Any]]
) -> Operation:
    return Operation(name, scope, document, variables, mutation=True)


INV, ORD = Scope.READ_INVENTORY, Scope.READ_ORDERS
W_INV, W_ORD = Scope.WRITE_INVENTORY, Scope.WRITE_ORDERS

OPERATIONS: list[Operation] = [
    _q(
        "product",
        INV,
        "query($id: ID!) { product(id: $id) { id title variants { sku } } }",
        lambda s: {"id": s.product},
    ),
    _q(
        "products",
        INV,
        "{ products { edges { node { id } } pageInfo { hasNextPage } } }",
        lambda s: {},
    ),
    _q(
        "productVariant",
        INV,
        "query($id: ID!) { productVariant(id: $id) { id sku price { amount currency } } }",
        lambda s: {"id": s.variant},
    ),
    _q("productVariants", INV, "{ productVariants { edges { node { id } } } }", lambda s: {}),
    _q(
        "listing",
        INV,
        "query($id: ID!) { listing(id: $id) { id status quantity } }",
        lambda s: {"id": s.listing},
    ),
    _q("listings", INV, "{ listings(status: PUBLISHED) { edges { node { id } } } }", lambda s: {}),
    _q(
        "node(Product)",
        INV,
        "query($id: ID!) { node(id: $id) { id } }",
        lambda s: {"id": s.product},
    ),
    _q(
        "order",
        ORD,
        "query($id: ID!) { order(id: $id) { id status total { amount } } }",
        lambda s: {"id": s.order},
    ),
    _q(
        "orders",
        ORD,
        "{ orders(status: PAID) { edges { node { id lineItems { quantity } } } } }",
        lambda s: {},
    ),
    _q("node(Order)", ORD, "query($id: ID!) { node(id: $id) { id } }", lambda s: {"id": s.order}),
    _q(
        "order.customer",
        Scope.READ_CUSTOMERS,
        "query($id: ID!) { order(id: $id) { customer { name email phone "
        "shippingAddress { city } } } }",
        lambda s: {"id": s.order},
        also=(ORD,),
    ),
    _q(
        "node(Customer)",
        Scope.READ_CUSTOMERS,
        "query($id: ID!) { node(id: $id) { id } }",
        lambda s: {"id": s.customer},
    ),
    _q(
        "order.lineItems.listing",
        INV,
        "query($id: ID!) { order(id: $id) { lineItems { listing { id } } } }",
        lambda s: {"id": s.order},
        also=(ORD,),
    ),
    _m(
        "productCreate",
        W_INV,
        f'mutation {{ productCreate(input: {{title: "New"}}) {{ product {{ id }} {ERRORS} }} }}',
        lambda s: {},
    ),
    _m(
        "productUpdate",
        W_INV,
        f'mutation($id: ID!) {{ productUpdate(id: $id, input: {{title: "Renamed"}}) '
        f"{{ product {{ id title }} {ERRORS} }} }}",
        lambda s: {"id": s.product},
    ),
    _m(
        "productVariantCreate",
        W_INV,
        f'mutation($id: ID!) {{ productVariantCreate(input: {{productId: $id, title: "Open", '
        f'price: {{amount: "50.00"}}}}) {{ productVariant {{ id }} {ERRORS} }} }}',
        lambda s: {"id": s.product},
    ),
    _m(
        "productVariantUpdate",
        W_INV,
        f'mutation($id: ID!) {{ productVariantUpdate(id: $id, input: {{sku: "BB-2"}}) '
        f"{{ productVariant {{ sku }} {ERRORS} }} }}",
        lambda s: {"id": s.variant},
    ),
    _m(
        "listingCreate",
        W_INV,
        f"mutation($id: ID!) {{ listingCreate(input: {{productId: $id, type: BUY_IT_NOW, "
        f'quantity: 3, price: {{amount: "10"}}}}) {{ listing {{ id status }} {ERRORS} }} }}',
        lambda s: {"id": s.product},
    ),
    _m(
        "listingUpdate",
        W_INV,
        f"mutation($id: ID!) {{ listingUpdate(id: $id, input: {{quantity: 9}}) "
        f"{{ listing {{ quantity }} {ERRORS} }} }}",
        lambda s: {"id": s.listing},
    ),
    _m(
        "listingAdjustQuantity",
        W_INV,
        f"mutation($id: ID!) {{ listingAdjustQuantity(id: $id, delta: 2) "
        f"{{ listing {{ quantity }} {ERRORS} }} }}",
        lambda s: {"id": s.listing},
    ),
    _m(
        "listingUnpublish",
        W_INV,
        f"mutation($id: ID!) {{ listingUnpublish(id: $id) {{ listing {{ status }} {ERRORS} }} }}",
        lambda s: {"id": s.listing},
    ),
    _m(
        "listingPublish",
        W_INV,
        f"mutation($id: ID!) {{ listingPublish(id: $id) {{ listing {{ status }} {ERRORS} }} }}",
        lambda s: {"id": s.listing},
    ),
    _m(
        "addTrackingCode",
        W_ORD,
        f"mutation($id: ID!) {{ addTrackingCode(input: {{orderId: $id, carrier: UPS, "
        f'code: "1Z999AA10123456784"}}) {{ order {{ status }} trackingCode {{ code }} '
        f"{ERRORS} }} }}",
        lambda s: {"id": s.order},
    ),
    _m(
        "orderCancel",
        W_ORD,
        f"mutation($id: ID!) {{ orderCancel(id: $id) {{ order {{ status }} {ERRORS} }} }}",
        lambda s: {"id": s.order},
    ),
    _m(
        "listingDelete",
        W_INV,
        f"mutation($id: ID!) {{ listingDelete(id: $id) {{ deletedListingId {ERRORS} }} }}",
        lambda s: {"id": s.listing},
    ),
    _m(
        "productVariantDelete",
        W_INV,
        f"mutation($id: ID!) {{ productVariantDelete(id: $id) "
        f"{{ deletedProductVariantId {ERRORS} }} }}",
        lambda s: {"id": s.variant},
    ),
    _m(
        "productDelete",
        W_INV,
        f"mutation($id: ID!) {{ productDelete(id: $id) {{ deletedProductId {ERRORS} }} }}",
        lambda s: {"id": s.product},
    ),
]


def lacking(scope: Scope) -> list[Scope]:
    """Every scope that does not grant ``scope``."""
    from sellergate.scopes import expand

    return [other for other in Scope if scope not in expand([other])]
