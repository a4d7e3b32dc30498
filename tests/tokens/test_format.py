"""Token format: generation, parsing and the checksum (DESIGN §2, "Token formats")."""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sellergate.tokens.format import (
    ALPHABET,
    BODY_LENGTH,
    MalformedToken,
    TokenKind,
    generate,
    parse,
    prefix,
    random_base62,
)

kinds = st.sampled_from(list(TokenKind))
stagings = st.booleans()


@given(kinds, stagings)
def test_round_trip(kind: TokenKind, staging: bool) -> None:
    token = generate(kind, staging=staging)
    assert token.startswith(prefix(kind, staging=staging))
    assert len(token) == len(prefix(kind, staging=staging)) + BODY_LENGTH
    parsed = parse(token)
    assert parsed.kind is kind
    assert parsed.staging is staging


@given(kinds, stagings, st.data())
def test_any_single_character_change_is_caught(
    kind: TokenKind, staging: bool, data: st.DataObject
) -> None:
    token = generate(kind, staging=staging)
    start = len(prefix(kind, staging=staging))
    position = data.draw(st.integers(min_value=start, max_value=len(token) - 1))
    replacement = data.draw(st.sampled_from(ALPHABET).filter(lambda c: c != token[position]))
    mistyped = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(MalformedToken):
        parse(mistyped)


@given(kinds, stagings, st.data())
def test_truncated_or_extended_tokens_are_refused(
    kind: TokenKind, staging: bool, data: st.DataObject
) -> None:
    token = generate(kind, staging=staging)
    cut = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    with pytest.raises(MalformedToken):
        parse(token[:cut])
    with pytest.raises(MalformedToken):
        parse(token + data.draw(st.sampled_from(ALPHABET)))


@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(MalformedToken):
        parse(text)


def test_prefixes_follow_the_environment() -> None:
    assert generate(TokenKind.ACCESS, staging=True).startswith("wn_access_tk_test_")
    production = generate(TokenKind.ACCESS, staging=False)
    assert production.startswith("wn_access_tk_")
    assert not production.startswith("wn_access_tk_test_")
    assert generate(TokenKind.REFRESH, staging=True).startswith("wn_refresh_tk_test_")
    assert generate(TokenKind.CLIENT_SECRET, staging=False).startswith("wn_client_secret_")


def test_tokens_are_unique() -> None:
    tokens = {generate(TokenKind.ACCESS, staging=True) for _ in range(2000)}
    assert len(tokens) == 2000


def test_unknown_prefix_is_named() -> None:
    with pytest.raises(MalformedToken, match="prefix"):
        parse("ghp_" + "a" * 38)


@given(st.integers(min_value=0, max_value=200))
def test_random_base62_has_the_asked_length_and_alphabet(length: int) -> None:
    text = random_base62(length)
    assert len(text) == length
    assert set(text) <= set(ALPHABET)


def test_random_base62_uses_every_character_evenly() -> None:
    counts = Counter(random_base62(62 * 1000))
    assert set(counts) == set(ALPHABET)
    # 1,000 expected per character; 30 % either way is beyond chance at this sample size.
    assert 700 < min(counts.values()) <= max(counts.values()) < 1300
