"""Scopes: what a token may do.

``full_access`` belongs to personal tokens only and implies every other scope. A write scope
implies the read scope of the same resource (``write:inventory`` reads inventory too): a client
that may change a thing must be able to see what it changes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Scope(enum.StrEnum):
    FULL_ACCESS = "full_access"
    READ_INVENTORY = "read:inventory"
    WRITE_INVENTORY = "write:inventory"
    READ_ORDERS = "read:orders"
    WRITE_ORDERS = "write:orders"
    READ_CUSTOMERS = "read:customers"


OAUTH_SCOPES: frozenset[Scope] = frozenset(Scope) - {Scope.FULL_ACCESS}

DESCRIPTIONS: dict[Scope, str] = {
    Scope.FULL_ACCESS: "Everything your account can do through the API",
    Scope.READ_INVENTORY: "See your products, variants and listings",
    Scope.WRITE_INVENTORY: "Create, change and delete your products, variants and listings",
    Scope.READ_ORDERS: "See your orders and their tracking codes",
    Scope.WRITE_ORDERS: "Add tracking codes to your orders and cancel orders",
    Scope.READ_CUSTOMERS: "See the names, emails, phone numbers and addresses of your buyers",
}

_IMPLIES: dict[Scope, frozenset[Scope]] = {
    Scope.FULL_ACCESS: frozenset(Scope),
    Scope.WRITE_INVENTORY: frozenset({Scope.WRITE_INVENTORY, Scope.READ_INVENTORY}),
    Scope.WRITE_ORDERS: frozenset({Scope.WRITE_ORDERS, Scope.READ_ORDERS}),
}


class ScopeError(ValueError):
    """A scope string names something that is not a scope."""


def parse_scopes(value: str | Iterable[str]) -> frozenset[Scope]:
    """Parse a space-separated scope string (RFC 6749 §3.3) or an iterable of names."""
    names = value.split() if isinstance(value, str) else list(value)
    result: set[Scope] = set()
    for name in names:
        try:
            result.add(Scope(name))
        except ValueError:
            # The message goes into OAuth error descriptions, which allow printable ASCII
            # without quote or backslash (RFC 6749 §5.2): quote the name only if it fits.
            if all(" " <= char <= "~" and char not in '"\\' for char in name):
                raise ScopeError(f"unknown scope {name!r}") from None
            raise ScopeError("unknown scope: scopes are printable ASCII") from None
    return frozenset(result)


def format_scopes(scopes: Iterable[Scope]) -> str:
    """The canonical space-separated form, in declaration order."""
    chosen = set(scopes)
    return " ".join(scope.value for scope in Scope if scope in chosen)


def expand(scopes: Iterable[Scope]) -> frozenset[Scope]:
    """Every scope that ``scopes`` grant, implied ones included."""
    granted: set[Scope] = set()
    for scope in scopes:
        granted |= _IMPLIES.get(scope, frozenset({scope}))
    return frozenset(granted)
