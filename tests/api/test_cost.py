"""The cost limit: page sizes multiplied along the nesting, aliases counted, a clear refusal."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from api.support import fragment_bomb
from sellergate.api.cost import LIST_ESTIMATE, operation_cost
from sellergate.api.limits import DEFAULT_MAX_COST
from sellergate.api.schema import build_schema
from sellergate.config import load_settings

ORDER = (
    "id status total { amount currency } createdAt "
    "lineItems { title quantity unitPrice { amount currency } "
    "listing { id status variant { id sku price { amount } } product { title } } } "
    "customer { name email shippingAddress { city } } trackingCodes { code carrier }"
)


def orders(aliases: int, first: int | str) -> str:
    page = f"orders(first: {first}) {{ edges {{ node {{ ...O }} }} pageInfo {{ endCursor }} }}"
    operation = "{ " + " ".join(f"a{n}: {page}" for n in range(aliases)) + " }"
    return f"{operation} fragment O on Order {{ {ORDER} }}"


def cost(query: str) -> int:
    document = parse(query)
    return operation_cost(build_schema()._schema, document.definitions[0], document.definitions)  # type: ignore[arg-type]


def errors(query: str, **settings: Any) -> list[Any]:
    """The cost errors of ``query`` (validation only: nothing runs without a caller)."""
    schema = build_schema(load_settings(**settings) if settings else None)
    found = schema.execute_sync(query).errors or []
    return [e for e in found if (e.extensions or {}).get("code") == "QUERY_TOO_COSTLY"]


def test_the_heavy_query_once_seen_is_refused_naming_cost_and_limit() -> None:
    heavy = orders(30, 100)
    refused = errors(heavy)
    assert len(refused) == 1
    assert refused[0].message.startswith(f"query cost {cost(heavy)} exceeds the limit of 20000")
    assert refused[0].extensions == {
        "code": "QUERY_TOO_COSTLY",
        "cost": cost(heavy),
        "limit": DEFAULT_MAX_COST,
    }


def test_a_full_page_of_rich_orders_is_allowed() -> None:
    assert cost(orders(1, 100)) <= DEFAULT_MAX_COST < cost(orders(2, 100))


def test_page_sizes_multiply_along_the_nesting() -> None:
    one = cost("{ products(first: 1) { edges { node { id } } } }")
    ten = cost("{ products(first: 10) { edges { node { id } } } }")
    assert (one, ten) == (1 + 1 * 3, 1 + 10 * 3)  # products, then edges + node + id per item
    nested = cost("{ products(first: 10) { edges { node { variants { id } } } } }")
    assert nested == 1 + 10 * (1 + (1 + (1 + LIST_ESTIMATE * 1)))
    # no first: the schema's default page (20); more than the server serves: its maximum (100)
    assert cost("{ products { nodes { id } } }") == 1 + 20 * 2
    assert cost("{ products(first: 5000) { nodes { id } } }") == 1 + 100 * 2
    # a variable is not known at validation: it counts as the maximum page
    assert cost("query($n: Int) { products(first: $n) { nodes { id } } }") == 1 + 100 * 2


def test_aliases_and_fragments_count_every_time() -> None:
    single = cost("{ products(first: 10) { nodes { id title } } }")
    assert (
        cost(
            "{ a: products(first: 10) { nodes { id title } } b: products(first: 10) "
            "{ nodes { id title } } }"
        )
        == 2 * single
    )
    spread = (
        "query { a: products(first: 10) { ...P } b: products(first: 10) { ...P } } "
        "fragment P on ProductConnection { nodes { id title } }"
    )
    assert cost(spread) == 2 * single
    assert cost("{ __schema { types { name fields { name } } } me { id } }") == 2


def test_the_limit_is_a_setting() -> None:
    query = "{ products(first: 50) { nodes { id title } } }"
    assert errors(query) == []
    refused = errors(query, graphql_max_cost=100)
    assert refused[0].message.startswith("query cost 151 exceeds the limit of 100")


@pytest.mark.parametrize("value", ["0", "-5", "many"])
def test_a_bad_limit_is_a_config_error(value: str) -> None:
    from sellergate.config import ConfigError

    with pytest.raises(ConfigError, match="SELLERGATE_GRAPHQL_MAX_COST"):
        load_settings(graphql_max_cost=value)


def test_a_fragment_bomb_is_costed_once_per_fragment() -> None:
    """Regression: costing expanded every spread, so 23 levels took 7 s (doubling with each);
    each fragment is now costed once, and the cost is still the expanded one."""
    import graphql

    from sellergate.api import cost as costing

    visited: list[str] = []
    original = costing._Costing.selection_set

    def counting(self: Any, node: Any, parent: Any) -> int:
        visited.append("x")
        return original(self, node, parent)

    costing._Costing.selection_set = counting  # type: ignore[method-assign]
    try:
        assert cost(fragment_bomb(40)) == 1 + 2**40
    finally:
        costing._Costing.selection_set = original  # type: ignore[method-assign]
    assert len(visited) < 200
    assert graphql.parse(fragment_bomb(40))  # a small document: 42 fragments


def test_a_cyclic_fragment_is_cut_not_followed() -> None:
    query = (
        "query { me { ...A } } fragment A on Seller { username ...B } "
        "fragment B on Seller { id ...A }"
    )
    assert cost(query) == 3
