"""What every mutation shares: the scope check, a savepoint, and ``userErrors``.

Bad input is part of the payload (``userErrors { field message code }``), not a GraphQL error,
and changes nothing: each mutation runs in a savepoint that is rolled back when it fails.
A missing scope is a GraphQL error (see :mod:`sellergate.api.permissions`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

import strawberry
from sqlalchemy.orm import Session

from sellergate.api.context import ApiInfo
from sellergate.api.loaders import Loaders
from sellergate.api.permissions import require
from sellergate.errors import InvalidInput, UnknownReference
from sellergate.scopes import Scope

T = TypeVar("T")


@strawberry.enum(description="Why an input was refused.")
class UserErrorCode(enum.Enum):
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    INSUFFICIENT_QUANTITY = "INSUFFICIENT_QUANTITY"


@strawberry.type(description="A problem with the input of a mutation; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="The argument or input field at fault.")
    message: str
    code: UserErrorCode


def attempt(
    info: ApiInfo, scope: Scope, action: Callable[[Session, int], T]
) -> tuple[T | None, list[UserError]]:
    """Run ``action(session, seller_id)`` after the scope check; bad input becomes userErrors."""
    require(info, scope)
    context = info.context
    context.cache.pop(Loaders, None)  # what earlier fields loaded may be stale now
    try:
        with context.session.begin_nested():
            return action(context.session, context.auth.seller_id), []
    except UnknownReference as exc:
        return None, [
            UserError(field=exc.field, message=exc.description, code=UserErrorCode.NOT_FOUND)
        ]
    except InvalidInput as exc:
        try:
            code = UserErrorCode(exc.code)
        except ValueError:
            code = UserErrorCode.INVALID
        return None, [UserError(field=exc.field, message=exc.description, code=code)]
