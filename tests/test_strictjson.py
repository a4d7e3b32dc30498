"""The request bodies' JSON parser refuses a lone surrogate however the body spells it: as an
escape or raw, in ASCII, UTF-8, UTF-16 or UTF-32 text."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellergate import strictjson

SURROGATE = re.compile("[\ud800-\udfff]")

texts = st.text(st.characters(codec=None, blacklist_categories=()), max_size=8) | st.sampled_from(
    ["\ud800", "a\udfffb", "\U0001f600", "plain"]
)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def _holds(value: Any) -> bool:
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_holds(k) or _holds(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds(item) for item in value)
    return False


def _spellings(value: Any) -> list[str | bytes]:
    escaped = json.dumps(value)
    raw = json.dumps(value, ensure_ascii=False)
    spelled: list[str | bytes] = [escaped, raw, escaped.encode()]
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        spelled.append(raw.encode(codec, "surrogatepass"))
        spelled.append(escaped.encode(codec))
    return spelled


@settings(max_examples=300, deadline=None)
@given(values)
def test_a_lone_surrogate_is_refused_in_every_spelling(value: Any) -> None:
    for text in _spellings(value):
        if _holds(value):
            with pytest.raises(strictjson.LoneSurrogate):
                strictjson.loads(text)
        else:
            assert strictjson.loads(text) == value
