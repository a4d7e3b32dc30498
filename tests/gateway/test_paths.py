"""Path normalisation and route matching, in process: one spelling per resource, or a refusal."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellergate.gateway.paths import (
    AmbiguousPath,
    normalise_method,
    normalise_path,
    split_target,
)
from sellergate.gateway.routes import parse_routes
from sellergate.scopes import Scope

TABLE = parse_routes(
    """
[[route]]
methods = ["GET"]
path = "/v1/orders/**"
scopes = ["read:orders"]

[[route]]
methods = ["GET", "POST"]
path = "/v1/customers/*/notes"
scopes = []

[[route]]
methods = ["*"]
path = "/v1/customers/**"
scopes = ["read:customers"]
"""
)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("/", "/"),
        ("/v1/orders", "/v1/orders"),
        ("/v1/orders/", "/v1/orders"),
        ("//v1///orders//", None),  # a leading '//' is a network-path reference: refused
        ("/v1//orders//", "/v1/orders"),
        ("/v1/orders/../customers", "/v1/customers"),
        ("/v1/./orders/.", "/v1/orders"),
        ("/v1/orders/%41bc", "/v1/orders/Abc"),
        ("/v1/orders/a%20b", "/v1/orders/a b"),
        ("/v1/orders/%C3%A9t%C3%A9", "/v1/orders/été"),
        ("/v1/orders/file.json", "/v1/orders/file.json"),
    ],
)
def test_spellings_of_one_path(raw: str, canonical: str | None) -> None:
    if canonical is None:
        with pytest.raises(AmbiguousPath):
            split_target(raw)
        return
    path, _ = split_target(raw)
    assert normalise_path(path) == canonical


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("/v1/orders/%2e%2e/customers", "dot segment"),
        ("/v1/orders/%2E%2e/customers", "dot segment"),
        ("/v1/orders/.%2e/customers", "dot segment"),
        ("/v1/orders/%2e/x", "dot segment"),
        ("/v1/orders%2f..%2fcustomers", "encoded '/'"),
        ("/v1/orders/..%2Fcustomers", "encoded '/'"),
        ("/v1/orders/..%5ccustomers", "encoded '\\\\'"),
        ("/v1/orders/..\\customers", "refused"),
        ("/v1/orders/%252e%252e/customers", "encoded '%'"),
        ("/v1/orders/%00", "control character"),
        ("/v1/orders/\x00", "refused"),
        ("/v1/orders/..;/customers", "refused"),
        ("/v1/orders/%3b", "encoded ';'"),
        ("/v1/orders/#x", "refused"),
        ("/v1/orders/a b", "refused"),
        ("/v1/orders/\u00e9", "refused"),
        ("/v1/orders/%zz", "malformed"),
        ("/v1/orders/%e", "malformed"),
        ("/v1/orders/%ff", "UTF-8"),
        ("/..", "above the root"),
        ("/v1/../../customers", "above the root"),
        ("v1/orders", "start with '/'"),
    ],
)
def test_ambiguous_spellings_are_refused(raw: str, why: str) -> None:
    with pytest.raises(AmbiguousPath, match=re.escape(why)):
        normalise_path(raw)


def test_targets_and_methods() -> None:
    assert split_target("/v1/orders?x=1&access_token=a") == ("/v1/orders", "x=1&access_token=a")
    for bad in ("http://evil/v1", "*", "", "//evil/v1"):
        with pytest.raises(AmbiguousPath):
            split_target(bad)
    assert normalise_method("get") == "GET"
    assert normalise_method("Patch") == "PATCH"
    for bad in ("", "GE T", "GET\r\n", "G\x00", "X" * 40):
        with pytest.raises(AmbiguousPath):
            normalise_method(bad)


def test_first_match_wins_and_patterns() -> None:
    def scopes(method: str, path: str) -> frozenset[Scope] | None:
        route = TABLE.find(method, path)
        return None if route is None else route.scopes

    assert scopes("GET", "/v1/orders") == frozenset({Scope.READ_ORDERS})  # '**' matches nothing too
    assert scopes("GET", "/v1/orders/1/items") == frozenset({Scope.READ_ORDERS})
    assert scopes("POST", "/v1/orders/1") is None  # method not routed: refused
    assert scopes("GET", "/v1/ordersx") is None
    assert scopes("GET", "/v1/customers/7/notes") == frozenset()  # before the '**' route
    assert scopes("DELETE", "/v1/customers/7/notes") == frozenset({Scope.READ_CUSTOMERS})
    assert scopes("GET", "/v1/customers/7/notes/x") == frozenset({Scope.READ_CUSTOMERS})
    assert scopes("GET", "/v1") is None
    assert scopes("GET", "/") is None


# Hostile spellings are built from pieces that servers are known to read differently.
PIECES = [
    "v1", "orders", "customers", "notes", "7", "..", ".", "", "%2e", "%2E", "%2e%2e", ".%2e",
    "%2f", "%2F", "%5c", "\\", "%00", "%25", "%252e", "%252f", "%252e%252e", ";", "..;",
    "%3b", "a%20b", "%41", "%c3%a9", "%ff", "%", "%2", "*", "?", "#", "%3f",
]  # fmt: skip


def _resolve(segments: list[str]) -> tuple[str, ...]:
    """Dot segments resolved as a lenient server does: '..' at the root stays at the root."""
    out: list[str] = []
    for segment in segments:
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return tuple(out)


def _readings(raw: str) -> set[tuple[str, ...]]:
    """How various upstream servers may read a path: decoding once and then resolving dots,
    resolving dots and then decoding, decoding until nothing changes, backslashes as
    separators, path parameters (';...') stripped."""
    once = unquote(raw, errors="replace")
    full = raw
    for _ in range(5):
        full = unquote(full, errors="replace")
    readings = {
        _resolve(once.split("/")),
        tuple(s for s in (unquote(x, errors="replace") for x in _resolve(raw.split("/"))) if s),
        _resolve(full.split("/")),
        _resolve(full.replace("\\", "/").split("/")),
        _resolve([s.split(";")[0] for s in full.replace("\\", "/").split("/")]),
    }
    return readings


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=8))
def test_no_spelling_reaches_a_route_it_should_not(pieces: list[str]) -> None:
    raw = "/" + "/".join(pieces)
    try:
        canonical = normalise_path(raw)
    except AmbiguousPath:
        return
    segments = tuple(canonical.split("/")[1:]) if canonical != "/" else ()
    # Every server reads an accepted spelling as the same resource the gateway decided on ...
    assert _readings(raw) == {segments}, raw
    # ... and the canonical form, encoded again, normalises to itself.
    assert normalise_path(quote(canonical, safe="/")) == canonical
    route = TABLE.find("GET", canonical)
    for reading in _readings(raw):
        assert TABLE.find("GET", "/" + "/".join(reading)) == route
