"""Bad input comes back as userErrors { field message code } and changes nothing."""

from __future__ import annotations

from typing import Any

from api.support import Gql, ShopIds, errors_of
from live import Account

CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    # (mutation, document, variables, field, code)
    (
        "productCreate",
        "mutation($t: String!) { productCreate(input: {title: $t}) { product { id } %s } }",
        {"t": "x" * 256},
        "title",
        "TOO_LONG",
    ),
    (
        "productCreate",
        'mutation { productCreate(input: {title: "   "}) { product { id } %s } }',
        {},
        "title",
        "INVALID",
    ),
    (
        "productVariantCreate",
        'mutation($p: ID!) { productVariantCreate(input: {productId: $p, title: "v", '
        'price: {amount: "-1.00"}}) { productVariant { id } %s } }',
        {"p": "PRODUCT"},
        "price",
        "OUT_OF_RANGE",
    ),
    (
        "productVariantCreate",
        'mutation($p: ID!) { productVariantCreate(input: {productId: $p, title: "v", '
        'price: {amount: "1.001"}}) { productVariant { id } %s } }',
        {"p": "PRODUCT"},
        "price",
        "INVALID",
    ),
    (
        "productVariantUpdate",
        'mutation($v: ID!) { productVariantUpdate(id: $v, input: {sku: "%s"}) '
        "{ productVariant { id } %%s } }" % ("S" * 65),
        {"v": "VARIANT"},
        "sku",
        "TOO_LONG",
    ),
    (
        "listingCreate",
        "mutation($p: ID!) { listingCreate(input: {productId: $p, type: BUY_IT_NOW, "
        'quantity: 0, price: {amount: "5"}}) { listing { id } %s } }',
        {"p": "PRODUCT"},
        "quantity",
        "OUT_OF_RANGE",
    ),
    (
        "listingCreate",
        "mutation($p: ID!) { listingCreate(input: {productId: $p, type: BUY_IT_NOW, "
        'quantity: 2000000000, price: {amount: "5"}}) { listing { id } %s } }',
        {"p": "PRODUCT"},
        "quantity",
        "OUT_OF_RANGE",
    ),
    (
        "listingAdjustQuantity",
        "mutation($l: ID!) { listingAdjustQuantity(id: $l, delta: 0) { listing { id } %s } }",
        {"l": "LISTING"},
        "delta",
        "INVALID",
    ),
    (
        "listingAdjustQuantity",
        "mutation($l: ID!) { listingAdjustQuantity(id: $l, delta: -1000) { listing { id } %s } }",
        {"l": "LISTING"},
        "delta",
        "INSUFFICIENT_QUANTITY",
    ),
    (
        "productUpdate",
        'mutation { productUpdate(id: "UHJvZHVjdDo5OTk5OTk=", input: {title: "x"}) '
        "{ product { id } %s } }",
        {},
        "id",
        "NOT_FOUND",
    ),
    (
        "productDelete",
        'mutation { productDelete(id: "garbage!") { deletedProductId %s } }',
        {},
        "id",
        "NOT_FOUND",
    ),
    (
        "productDelete",
        "mutation($l: ID!) { productDelete(id: $l) { deletedProductId %s } }",
        {"l": "LISTING"},  # the ID of another type
        "id",
        "NOT_FOUND",
    ),
    (
        "addTrackingCode",
        'mutation($o: ID!) { addTrackingCode(input: {orderId: $o, carrier: UPS, code: "%s"}) '
        "{ order { id } %%s } }" % ("9" * 65),
        {"o": "ORDER"},
        "code",
        "TOO_LONG",
    ),
]

ERRORS = "userErrors { field message code }"
STATE = """query($p: ID!, $l: ID!, $o: ID!) {
  product(id: $p) { title variants { sku price { amount } } }
  listing(id: $l) { quantity status }
  order(id: $o) { status trackingCodes { code } }
  products { edges { node { id } } }
}"""


def test_bad_input_is_a_user_error_and_changes_nothing(
    gql: Gql, shop: ShopIds, seller: Account
) -> None:
    names = {
        "PRODUCT": shop.product,
        "VARIANT": shop.variant,
        "LISTING": shop.listing,
        "ORDER": shop.order,
    }
    ids = {"p": shop.product, "l": shop.listing, "o": shop.order}
    before = gql(seller.token, STATE, **ids)
    for name, document, variables, field, code in CASES:
        values = {key: names.get(value, value) for key, value in variables.items()}
        body = gql(seller.token, document % ERRORS, **values)
        assert errors_of(body) == [], (name, body)
        payload = body["data"][name]
        [error] = payload["userErrors"]
        assert (error["field"], error["code"]) == (field, code), (name, error)
        assert error["message"]
        assert all(value is None for key, value in payload.items() if key != "userErrors")
    assert gql(seller.token, STATE, **ids) == before
