"""The scope matrix: every query and mutation with and without its scope, over HTTP."""

from __future__ import annotations

from api.operations import OPERATIONS, lacking
from api.support import Gql, ShopIds, errors_of, forbidden_scopes
from live import Account, MakeToken
from sellergate.scopes import Scope


def test_every_operation_with_and_without_its_scope(
    gql: Gql, shop: ShopIds, seller: Account, make_token: MakeToken
) -> None:
    for op in OPERATIONS:
        variables = op.variables(shop)
        without = make_token(seller.id, lacking(op.scope))
        denied = gql(without, op.document, **variables)
        assert forbidden_scopes(denied) == {op.scope.value}, (op.name, denied)
        if op.nested:
            assert denied["data"][op.root] is not None, (op.name, "the rest must resolve")
        else:
            assert denied["data"][op.root] is None, op.name

        granted = gql(make_token(seller.id, [op.scope, *op.also]), op.document, **variables)
        assert errors_of(granted) == [], (op.name, granted)
        assert granted["data"][op.root] is not None, (op.name, granted)


def test_one_forbidden_field_leaves_the_rest_of_the_response(
    gql: Gql, shop: ShopIds, seller: Account, make_token: MakeToken
) -> None:
    token = make_token(seller.id, [Scope.READ_ORDERS])
    body = gql(
        token,
        "{ me { username } products { edges { node { id } } } "
        "orders { edges { node { id status customer { name } lineItems { title } } } } }",
    )
    assert body["data"]["me"] == {"username": "alice"}
    assert body["data"]["products"] is None
    [order] = [edge["node"] for edge in body["data"]["orders"]["edges"]]
    assert order["status"] == "PAID" and order["customer"] is None
    assert order["lineItems"] == [{"title": "Booster Box (Sealed)"}]
    paths = {tuple(error["path"]) for error in body["errors"]}
    assert paths == {("products",), ("orders", "edges", 0, "node", "customer")}
    assert forbidden_scopes(body) == {"read:inventory", "read:customers"}


def test_read_inventory_pages_the_catalogue_and_nothing_else(
    gql: Gql, shop: ShopIds, seller: Account, make_token: MakeToken
) -> None:
    token = make_token(seller.id, [Scope.READ_INVENTORY])
    body = gql(
        token, "{ products { edges { node { title variants { sku listing { status } } } } } }"
    )
    assert errors_of(body) == []
    [product] = body["data"]["products"]["edges"]
    assert product["node"]["variants"] == [{"sku": "BB-1", "listing": {"status": "PUBLISHED"}}]
    denied = gql(
        token,
        'mutation { productCreate(input: {title: "x"}) { product { id } } }',
    )
    assert forbidden_scopes(denied) == {"write:inventory"}
    assert forbidden_scopes(gql(token, "{ orders { edges { node { id } } } }")) == {"read:orders"}


def test_write_implies_read_and_full_access_implies_all(
    gql: Gql, shop: ShopIds, seller: Account, make_token: MakeToken
) -> None:
    writer = make_token(seller.id, [Scope.WRITE_INVENTORY, Scope.WRITE_ORDERS])
    body = gql(writer, "{ products { edges { node { id } } } orders { edges { node { id } } } }")
    assert errors_of(body) == []
    full = gql(seller.token, "{ orders { edges { node { customer { name } } } } }")
    assert errors_of(full) == []
    assert full["data"]["orders"]["edges"][0]["node"]["customer"]["name"]
