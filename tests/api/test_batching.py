"""A page of orders with line items, listings and customers costs a constant number of queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from sellergate.accounts.bearer import AuthContext
from sellergate.accounts.sellers import create_seller
from sellergate.api.context import ApiContext
from sellergate.api.schema import build_schema
from sellergate.scopes import Scope
from sellergate.shop import listings, orders, products, variants
from sellergate.shop.listings import ListingKind
from sellergate.shop.money import Money
from sellergate.shop.simulate import simulate_order
from sellergate.storage.database import Database

PAGE = """query($first: Int!) {
  orders(first: $first) {
    edges { node {
      id status total { amount currency }
      lineItems { title quantity unitPrice { amount } listing { id status product { title } } }
      trackingCodes { carrier code }
      customer { name email shippingAddress { city } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def _count_statements(db: Database, seller_id: int, first: int) -> tuple[int, dict[str, Any]]:
    schema = build_schema()
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    auth = AuthContext(token_id=0, seller_id=seller_id, scopes=frozenset({Scope.FULL_ACCESS}))
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            context = ApiContext(auth=auth, session=session, settings=db.settings)
            result = schema.execute_sync(PAGE, {"first": first}, context_value=context)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result.errors is None, result.errors
    assert result.data is not None
    return len(statements), result.data


def test_a_page_of_orders_costs_the_same_at_any_size(db: Database) -> None:
    with db.session(write=True) as session:
        seller_id = create_seller(session, "alice", "a@example.com", "correct-horse-battery").id
        for number in range(30):
            product = products.create_product(session, seller_id, title=f"Card {number}")
            variant = variants.create_variant(
                session, seller_id, product_id=product.id, title="NM", price=Money(500, "USD")
            )
            listing = listings.create_listing(
                session,
                seller_id,
                product_id=product.id,
                variant_id=variant.id,
                kind=ListingKind.BUY_IT_NOW,
                quantity_available=5,
            )
            listings.publish_listing(session, seller_id, listing.id)
            order = simulate_order(session, seller_id, listing.id, 1, rng_seed=number)
            if number % 3 == 0:
                orders.add_tracking_code(
                    session,
                    seller_id,
                    order.id,
                    carrier=orders.Carrier.USPS,
                    code=f"94{number:08d}",
                )
    small, small_data = _count_statements(db, seller_id, 2)
    large, large_data = _count_statements(db, seller_id, 30)
    assert len(small_data["orders"]["edges"]) == 2
    edges = large_data["orders"]["edges"]
    assert len(edges) == 30
    assert all(edge["node"]["customer"]["name"] for edge in edges)
    assert all(edge["node"]["lineItems"][0]["listing"]["product"]["title"] for edge in edges)
    assert small == large, f"{small} statements for 2 orders but {large} for 30"
    assert large <= 10
