"""Cursor connections over HTTP: every row once, in order, across pages and deletions."""

from __future__ import annotations

import base64

from api.support import Gql, errors_of
from live import Account
from sellergate.api.relay import global_id
from sellergate.shop import products
from sellergate.storage.database import Database

PAGE = """query($first: Int, $after: String) {
  products(first: $first, after: $after) {
    edges { cursor node { id title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def test_pages_across_deletions_and_limits(gql: Gql, db: Database, seller: Account) -> None:
    with db.session(write=True) as session:
        ids = [products.create_product(session, seller.id, title=f"p{n}").id for n in range(23)]
    seen: list[str] = []
    after = None
    deleted: set[str] = set()
    while True:
        body = gql(seller.token, PAGE, first=5, after=after)
        assert errors_of(body) == []
        connection = body["data"]["products"]
        nodes = [edge["node"]["id"] for edge in connection["edges"]]
        seen += nodes
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        # delete the cursor's own row and the first row of the next page
        for victim in (nodes[-1], global_id("Product", ids[ids.index(_pk(nodes[-1])) + 1])):
            reply = gql(
                seller.token,
                "mutation($id: ID!) { productDelete(id: $id) { userErrors { code } } }",
                id=victim,
            )
            assert reply["data"]["productDelete"]["userErrors"] == []
            deleted.add(victim)
    expected = [global_id("Product", pk) for pk in ids]
    # The published formats: base64("<Type>:<id>") and base64("cursor:<id>").
    first_page = gql(seller.token, PAGE, first=1)["data"]["products"]["edges"][0]
    pk = _pk(first_page["node"]["id"])
    assert first_page["node"]["id"] == base64.b64encode(f"Product:{pk}".encode()).decode()
    assert first_page["cursor"] == base64.b64encode(f"cursor:{pk}".encode()).decode()
    assert seen == [pid for pid in expected if pid in seen]  # in order, no repeats
    assert set(seen) | deleted == set(expected)

    capped = gql(seller.token, PAGE, first=10_000)
    assert errors_of(capped) == []
    for bad in ({"first": 0}, {"first": -3}, {"after": "bm90LWEtY3Vyc29y"}):
        body = gql(seller.token, PAGE, **bad)
        assert body["data"]["products"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


def _pk(node_id: str) -> int:
    from sellergate.api.relay import parse_global_id

    parsed = parse_global_id(node_id)
    assert parsed is not None
    return parsed[1]
