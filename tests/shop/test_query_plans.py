"""Keyset pages walk an index from the cursor: no scan, no sort, flat at any table size."""

from __future__ import annotations

import pytest
from sqlalchemy import Table, text

from sellergate.shop import listings, orders, products, variants
from sellergate.shop.pagination import page_statement
from sellergate.storage.database import Database


@pytest.mark.databases("sqlite")
def test_every_page_query_is_an_index_range_search(db: Database) -> None:
    # (table, filters, newest first): the statements the shop's pages run, as they run them.
    shapes: list[tuple[Table, dict[str, str], bool]] = [
        (products.READER.table, {}, False),
        (variants.READER.table, {}, False),
        (listings.READER.table, {"status": "PUBLISHED"}, False),
        (orders.READER.table, {}, True),
        (orders.READER.table, {"status": "PAID"}, True),
    ]
    with db.engine.connect() as conn:
        for table, filters, newest_first in shapes:
            page = page_statement(table, tuple(sorted(filters)), True, newest_first).params(
                seller_id=1, after=500 if newest_first else 5, limit=21, **filters
            )
            sql = str(page.compile(db.engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert plan.startswith("SEARCH") and "USING INDEX" in plan, (table.name, plan)
            assert "TEMP B-TREE" not in plan, (table.name, plan)
