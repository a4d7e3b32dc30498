"""Scope checks: a missing scope is a GraphQL error on that field alone.

The error carries ``extensions.code = "FORBIDDEN"`` and ``extensions.requiredScope``; the
field resolves to null and the rest of the response still resolves, so every guarded field is
nullable. Implication (``full_access`` implies all, a write scope implies its read scope) is
decided in :mod:`sellergate.scopes`.
"""

from __future__ import annotations

from graphql import GraphQLError

from sellergate.api.context import ApiInfo
from sellergate.scopes import Scope


class Forbidden(GraphQLError):
    def __init__(self, scope: Scope) -> None:
        super().__init__(
            f"this needs the {scope.value} scope",
            extensions={"code": "FORBIDDEN", "requiredScope": scope.value},
        )


def allowed(info: ApiInfo, scope: Scope) -> bool:
    return scope in info.context.auth.granted


def require(info: ApiInfo, scope: Scope) -> None:
    """Raise :class:`Forbidden` unless the token grants ``scope``."""
    if scope not in info.context.auth.granted:
        raise Forbidden(scope)
