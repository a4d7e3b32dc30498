"""Isolation: another seller's objects are simply not found, by every query and mutation."""

from __future__ import annotations

from api.operations import OPERATIONS
from api.support import Gql, ShopIds, errors_of, make_shop
from live import Account
from sellergate.storage.database import Database


def test_every_operation_on_another_sellers_objects_finds_nothing(
    gql: Gql, db: Database, shop: ShopIds, seller: Account, other_seller: Account
) -> None:
    bobs = make_shop(db, other_seller.id)
    before = gql(seller.token, SNAPSHOT, order=shop.order)
    for op in OPERATIONS:
        body = gql(other_seller.token, op.document, **op.variables(shop))
        assert errors_of(body) == [], (op.name, body)
        result = body["data"][op.root]
        if op.mutation:
            if op.name == "productCreate":
                continue  # creates bob's own product; nothing of alice's is named
            codes = [error["code"] for error in result["userErrors"]]
            assert codes == ["NOT_FOUND"], (op.name, result)
        elif op.root in {"products", "productVariants", "listings", "orders"}:
            ids = {edge["node"]["id"] for edge in result["edges"]}
            assert ids <= {bobs.product, bobs.variant, bobs.listing, bobs.order}, op.name
            assert not ids & {shop.product, shop.variant, shop.listing, shop.order}, op.name
        else:
            assert result is None, (op.name, result)
    assert gql(seller.token, SNAPSHOT, order=shop.order) == before


def test_foreign_ids_inside_inputs_are_not_found(
    gql: Gql, db: Database, shop: ShopIds, seller: Account, other_seller: Account
) -> None:
    bobs = make_shop(db, other_seller.id)
    body = gql(
        seller.token,
        """mutation($product: ID!, $variant: ID!) {
          listingCreate(input: {productId: $product, variantId: $variant, type: BUY_IT_NOW,
                                quantity: 1}) { listing { id } userErrors { field code } }
        }""",
        product=shop.product,
        variant=bobs.variant,
    )
    assert body["data"]["listingCreate"] == {
        "listing": None,
        "userErrors": [{"field": "variantId", "code": "NOT_FOUND"}],
    }


SNAPSHOT = """query($order: ID!) {
  products { edges { node { id title variants { id sku price { amount } } } } }
  listings { edges { node { id status quantity } } }
  order(id: $order) { status trackingCodes { code } }
}"""
