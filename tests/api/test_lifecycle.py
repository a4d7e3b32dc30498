"""A full token runs the catalogue lifecycle and ships an order a buyer placed (via the CLI)."""

from __future__ import annotations

import json
from typing import Any

from api.support import Gql, errors_of
from cliinvoke import Result, invoke
from live import Account
from sellergate.api.relay import parse_global_id
from sellergate.config import Settings


def _ok(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert errors_of(body) == [], body
    payload: dict[str, Any] = body["data"][name]
    assert payload["userErrors"] == [], payload
    return payload


def simulate(settings: Settings, *args: str) -> Result:
    return invoke(
        ["orders", "simulate", *args, "--json"],
        env={
            "SELLERGATE_DATABASE_URL": settings.database_url,
            "SELLERGATE_DATA_DIR": str(settings.data_dir),
        },
    )


def test_catalogue_lifecycle_and_shipping(gql: Gql, settings: Settings, seller: Account) -> None:
    token = seller.token
    product = _ok(
        gql(
            token,
            'mutation { productCreate(input: {title: "Charizard", description: "Holo"}) '
            "{ product { id title } userErrors { field message code } } }",
        ),
        "productCreate",
    )["product"]
    variant = _ok(
        gql(
            token,
            """mutation($p: ID!) { productVariantCreate(input: {productId: $p,
            title: "PSA 9", sku: "CHZ-9", price: {amount: "250.00", currency: USD}})
            { productVariant { id price { amount currency } }
              userErrors { field message code } } }""",
            p=product["id"],
        ),
        "productVariantCreate",
    )["productVariant"]
    assert variant["price"] == {"amount": "250.00", "currency": "USD"}
    listing = _ok(
        gql(
            token,
            """mutation($p: ID!, $v: ID!) { listingCreate(input: {productId: $p,
            variantId: $v, type: BUY_IT_NOW, quantity: 3}) { listing { id status __typename
            ... on BuyItNowListing { price { amount } } } userErrors { field message code } } }""",
            p=product["id"],
            v=variant["id"],
        ),
        "listingCreate",
    )["listing"]
    assert listing["status"] == "DRAFT" and listing["__typename"] == "BuyItNowListing"
    assert listing["price"] == {"amount": "250.00"}

    refused = simulate(settings, "--seller", "alice", "--listing", listing["id"])
    assert refused.returncode != 0 and "not published" in refused.stderr

    published = _ok(
        gql(
            token,
            "mutation($l: ID!) { listingPublish(id: $l) { listing { status } "
            "userErrors { field message code } } }",
            l=listing["id"],
        ),
        "listingPublish",
    )
    assert published["listing"]["status"] == "PUBLISHED"

    bought = simulate(settings, "--seller", "alice", "--listing", listing["id"], "--quantity", "3")
    assert bought.returncode == 0, bought.stderr
    order = json.loads(bought.stdout)
    assert order["status"] == "PAID" and order["total"] == {"amount": "750.00", "currency": "USD"}
    assert order["customer"]["name"] and "@" in order["customer"]["email"]
    parsed = parse_global_id(listing["id"])
    assert parsed is not None
    sold_out = simulate(settings, "--seller", "alice", "--listing", str(parsed[1]))
    assert sold_out.returncode != 0 and "only 0 in stock" in sold_out.stderr

    body = gql(
        token,
        """query($l: ID!) { listing(id: $l) { status quantity }
        orders { edges { node { id status customer { name shippingAddress { line1 } }
        lineItems { title sku quantity unitPrice { amount } total { amount } } } } } }""",
        l=listing["id"],
    )
    assert errors_of(body) == []
    assert body["data"]["listing"] == {"status": "SOLD_OUT", "quantity": 0}
    [edge] = body["data"]["orders"]["edges"]
    assert edge["node"]["id"] == order["order_id"]
    assert edge["node"]["customer"]["name"] == order["customer"]["name"]
    assert edge["node"]["lineItems"] == [
        {
            "title": "Charizard (PSA 9)",
            "sku": "CHZ-9",
            "quantity": 3,
            "unitPrice": {"amount": "250.00"},
            "total": {"amount": "750.00"},
        }
    ]

    shipped = _ok(
        gql(
            token,
            """mutation($o: ID!) { addTrackingCode(input: {orderId: $o, carrier: USPS,
            code: "9400111899223856928499"}) { order { status trackingCodes { carrier code } }
            trackingCode { code } userErrors { field message code } } }""",
            o=order["order_id"],
        ),
        "addTrackingCode",
    )
    assert shipped["order"]["status"] == "SHIPPED"
    assert shipped["order"]["trackingCodes"] == [
        {"carrier": "USPS", "code": "9400111899223856928499"}
    ]
    cancel = gql(
        token,
        "mutation($o: ID!) { orderCancel(id: $o) { order { status } userErrors { field code } } }",
        o=order["order_id"],
    )
    assert cancel["data"]["orderCancel"]["userErrors"] == [{"field": "id", "code": "INVALID_STATE"}]
    deleted = _ok(
        gql(
            token,
            "mutation($p: ID!) { productDelete(id: $p) { deletedProductId "
            "userErrors { field message code } } }",
            p=product["id"],
        ),
        "productDelete",
    )
    assert deleted["deletedProductId"] == product["id"]
    after = gql(token, "{ orders { edges { node { lineItems { title listing { id } } } } } }")
    assert after["data"]["orders"]["edges"][0]["node"]["lineItems"] == [
        {"title": "Charizard (PSA 9)", "listing": None}
    ]
    unknown = simulate(settings, "--seller", "nobody", "--listing", "1")
    assert unknown.returncode != 0 and "nobody" in unknown.stderr
