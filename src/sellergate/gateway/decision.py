"""The decision for one request, and the identity headers an allowed request carries upstream.

Headers (docs/gateway.md): ``X-Sellergate-Seller-Id``, ``X-Sellergate-Username``,
``X-Sellergate-Scopes`` (every scope granted, implied ones included, space-separated),
``X-Sellergate-Client-Id`` (the app's public ``client_id``, OAuth tokens only) and
``X-Sellergate-Token-Kind`` (``personal`` or ``oauth``). The gateway must replace any header of
these names that the client sent; a request whose client sent any ``X-Sellergate-*`` header is
refused here (:func:`forged_identity`), so no other spelling reaches the upstream either.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from sellergate.accounts.bearer import AuthContext
from sellergate.gateway.routes import Route
from sellergate.scopes import Scope, format_scopes

IDENTITY_PREFIX = "x-sellergate-"
SELLER_ID = "X-Sellergate-Seller-Id"
USERNAME = "X-Sellergate-Username"
SCOPES = "X-Sellergate-Scopes"
CLIENT_ID = "X-Sellergate-Client-Id"
TOKEN_KIND = "X-Sellergate-Token-Kind"  # noqa: S105 (a header name)
IDENTITY_HEADERS = (SELLER_ID, USERNAME, SCOPES, CLIENT_ID, TOKEN_KIND)

# Tokens hold few distinct sets of scopes: each is spelled out once, not per request.
_spelled = lru_cache(maxsize=256)(format_scopes)


@dataclass(frozen=True, slots=True)
class Decision:
    """``allowed``, or the scopes the route needs that the token lacks (``missing``)."""

    allowed: bool
    missing: frozenset[Scope] = frozenset()

    @property
    def missing_scopes(self) -> str:
        return format_scopes(self.missing)


def decide(auth: AuthContext, route: Route) -> Decision:
    """Every scope the route names, granted directly or implied (``full_access`` implies all)."""
    missing = route.scopes - auth.granted
    return Decision(allowed=not missing, missing=frozenset(missing))


def identity_headers(auth: AuthContext, client_id: str | None) -> dict[str, str]:
    """What the upstream learns about the caller; ``client_id`` is the app's public id."""
    headers = {
        SELLER_ID: str(auth.seller_id),
        USERNAME: auth.username,
        SCOPES: _spelled(auth.granted),
        TOKEN_KIND: "personal" if auth.client_id is None else "oauth",
    }
    if auth.client_id is not None and client_id is not None:
        headers[CLIENT_ID] = client_id
    return headers


def forged_identity(header_names: Iterable[str]) -> bool:
    """Whether the original request carries an identity header of its own."""
    return any(name.lower().startswith(IDENTITY_PREFIX) for name in header_names)
