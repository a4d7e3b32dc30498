"""The routes file (``SELLERGATE_GATEWAY_ROUTES``): which requests a token may make.

::

    [[route]]
    methods = ["GET"]            # or ["*"]: any method
    path = "/v1/orders/**"
    scopes = ["read:orders"]     # all required; [] means any valid token

Path patterns are matched segment by segment against the normalised path
(:mod:`sellergate.gateway.paths`): a literal segment matches itself exactly (case-sensitive),
``*`` matches exactly one segment, and ``**``, only as the last segment, matches whatever follows,
nothing included (``/v1/orders/**`` matches ``/v1/orders`` and everything under it). The first
route whose methods and pattern match decides; a request that matches none is refused.

The file is checked as a whole when the server starts; a mistake is a :class:`RoutesFileError`
whose message names the file's line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sellergate.gateway.paths import AmbiguousPath, normalise_method
from sellergate.scopes import Scope, ScopeError, parse_scopes

ANY_METHOD = "*"
ONE_SEGMENT = "*"
REST = "**"
_KEYS = frozenset({"methods", "path", "scopes"})
_LITERAL = re.compile(r"^[^\x00-\x20\x7f/\\;#%*?]+$")


class RoutesFileError(ValueError):
    """The routes file cannot be used; the message is one line naming the place."""


@dataclass(frozen=True, slots=True)
class Route:
    methods: frozenset[str]  # empty: any method
    pattern: tuple[str, ...]
    scopes: frozenset[Scope]
    line: int

    def matches(self, method: str, segments: Sequence[str]) -> bool:
        if self.methods and method not in self.methods:
            return False
        pattern = self.pattern
        if pattern and pattern[-1] == REST:
            head = pattern[:-1]
            if len(segments) < len(head):
                return False
        elif len(segments) != len(pattern):
            return False
        else:
            head = pattern
        return all(p in (ONE_SEGMENT, s) for p, s in zip(head, segments, strict=False))


@dataclass(frozen=True, slots=True)
class RouteTable:
    routes: tuple[Route, ...]

    def find(self, method: str, path: str) -> Route | None:
        """The first route for ``method`` (normalised) and ``path`` (normalised), if any."""
        segments = path.split("/")[1:] if path != "/" else []
        for route in self.routes:
            if route.matches(method, segments):
                return route
        return None


def load_routes(path: str | Path) -> RouteTable:
    """Read and check the routes file; raises :class:`RoutesFileError`."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise RoutesFileError(f"{name}: cannot read the routes file ({reason})") from None
    return parse_routes(text, name)


def parse_routes(text: str, name: str = "routes") -> RouteTable:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RoutesFileError(f"{name}: not valid TOML: {exc}") from None
    lines = _Lines(text)
    unknown = sorted(set(document) - {"route"})
    if unknown:
        where = lines.top_level(unknown[0])
        raise RoutesFileError(f"{name}:{where}: unknown key {unknown[0]!r} (only [[route]])")
    tables = document.get("route", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise RoutesFileError(f"{name}: 'route' must be an array of tables: [[route]]")
    if not tables:
        raise RoutesFileError(f"{name}: no [[route]] at all: every request would be refused")
    return RouteTable(
        tuple(_route(table, index, lines, name) for index, table in enumerate(tables))
    )


def _route(table: dict[str, Any], index: int, lines: _Lines, name: str) -> Route:
    def fail(key: str | None, message: str) -> RoutesFileError:
        return RoutesFileError(f"{name}:{lines.key(index, key)}: route {index + 1}: {message}")

    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key {unknown[0]!r} (methods, path, scopes)")
    for key in sorted(_KEYS - set(table)):
        raise fail(None, f"missing {key!r}")
    methods = table["methods"]
    if not isinstance(methods, list) or not methods or not all(isinstance(m, str) for m in methods):
        raise fail("methods", 'methods must be a non-empty list of strings, e.g. ["GET"]')
    chosen: set[str] = set()
    for method in methods:
        if method == ANY_METHOD:
            if len(methods) > 1:
                raise fail("methods", '"*" (any method) stands alone')
            continue
        try:
            chosen.add(normalise_method(method))
        except AmbiguousPath:
            raise fail("methods", f"{method!r} is not an HTTP method") from None
    pattern = table["path"]
    if not isinstance(pattern, str):
        raise fail("path", "path must be a string")
    scopes = table["scopes"]
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise fail("scopes", 'scopes must be a list of scope names, e.g. ["read:orders"]')
    try:
        required = parse_scopes(scopes)
    except ScopeError as exc:
        known = ", ".join(scope.value for scope in Scope)
        raise fail("scopes", f"{exc} (known: {known})") from None
    return Route(
        frozenset(chosen),
        _pattern(pattern, lambda m: fail("path", m)),
        required,
        lines.key(index, None),
    )


def _pattern(text: str, fail: Any) -> tuple[str, ...]:
    if not text.startswith("/"):
        raise fail(f"bad pattern {text!r}: it must start with '/'")
    if text == "/":
        return ()
    segments = text[1:].split("/")
    for position, segment in enumerate(segments):
        if segment == REST:
            if position != len(segments) - 1:
                raise fail(f"bad pattern {text!r}: '**' may only be the last segment")
        elif segment == ONE_SEGMENT:
            continue
        elif segment == "":
            raise fail(f"bad pattern {text!r}: empty segment ('//' or a trailing '/')")
        elif segment in (".", ".."):
            raise fail(f"bad pattern {text!r}: dot segments never match a normalised path")
        elif not _LITERAL.match(segment):
            raise fail(
                f"bad pattern {text!r}: segment {segment!r} must be '*', '**' or plain "
                "text (no '*' inside a segment, no '%', '\\', ';', '#', '?' or spaces)"
            )
    return tuple(segments)


class _Lines:
    """Line numbers of the file's ``[[route]]`` headers and keys, for error messages (the TOML
    parser keeps none)."""

    _HEADER = re.compile(r"^\s*\[\[\s*route\s*\]\]")
    _TABLE = re.compile(r"^\s*\[")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [n for n, line in enumerate(self.lines) if self._HEADER.match(line)]

    def top_level(self, key: str) -> int:
        for number, line in enumerate(self.lines):
            if re.match(rf"^\s*\[*\s*{re.escape(key)}\b", line):
                return number + 1
        return 1

    def key(self, index: int, key: str | None) -> int:
        if index >= len(self.headers):
            return 1
        start = self.headers[index]
        if key is None:
            return start + 1
        for number in range(start + 1, len(self.lines)):
            line = self.lines[number]
            if self._TABLE.match(line):
                break
            if re.match(rf"^\s*\"?{re.escape(key)}\"?\s*=", line):
                return number + 1
        return start + 1
