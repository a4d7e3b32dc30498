"""How deep a request's JSON nests: the same answer with its text at hand as from the value."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sellergate.web.body import nesting_exceeds

values = st.recursive(
    st.none() | st.integers() | st.text(alphabet="[]{}ab", max_size=4),
    lambda inner: (
        st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=2), inner, max_size=2)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(values, st.integers(min_value=0, max_value=8))
def test_the_text_gives_the_same_answer_as_the_walk(value: Any, limit: int) -> None:
    walked = nesting_exceeds(value, limit)
    for codec in ("utf-8", "utf-16-le", "utf-32-be"):
        for text in (json.dumps(value), json.dumps(value, indent=1)):
            assert nesting_exceeds(value, limit, text.encode(codec)) == walked


def test_exactly_the_limit_passes_and_one_more_does_not() -> None:
    for depth in (1, 5, 33):
        value: Any = 0
        for _ in range(depth):
            value = [value]
        text = json.dumps(value).encode()
        assert not nesting_exceeds(value, depth, text)
        assert nesting_exceeds(value, depth - 1, text)
