"""Keyset pages walk an index from the cursor: no scan, no sort, flat at any table size."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from sellergate.storage.database import Database
from sellergate.storage.shop_models import Listing, Order, Product, ProductVariant


@pytest.mark.databases("sqlite")
def test_every_page_query_is_an_index_range_search(db: Database) -> None:
    pages = [
        select(Product)
        .where(Product.seller_id == 1, Product.id > 5)
        .order_by(Product.id)
        .limit(21),
        select(ProductVariant)
        .where(ProductVariant.seller_id == 1, ProductVariant.id > 5)
        .order_by(ProductVariant.id)
        .limit(21),
        select(Listing)
        .where(Listing.seller_id == 1, Listing.status == "PUBLISHED", Listing.id > 5)
        .order_by(Listing.id)
        .limit(21),
        select(Order)
        .where(Order.seller_id == 1, Order.id < 500)
        .order_by(Order.id.desc())
        .limit(21),
        select(Order)
        .where(Order.seller_id == 1, Order.status == "PAID", Order.id < 500)
        .order_by(Order.id.desc())
        .limit(21),
    ]
    with db.engine.connect() as conn:
        for page in pages:
            sql = str(page.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert plan.startswith("SEARCH") and "USING INDEX" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
