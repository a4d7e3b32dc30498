"""Relay: global object IDs and cursor connections (``edges { cursor node }``, ``pageInfo``).

A global ID is ``base64("<Type>:<id>")``; a cursor is ``base64("cursor:<id>")``. Neither is a
secret, and a malformed one is treated like an unknown one: nothing is revealed about other
sellers' objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.relay import from_base64, to_base64

from sellergate.errors import InvalidInput, UnknownReference
from sellergate.shop.pagination import Page

T = TypeVar("T")
R = TypeVar("R")


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


def global_id(type_name: str, object_id: int) -> strawberry.ID:
    return strawberry.ID(to_base64(type_name, object_id))


def parse_global_id(value: str) -> tuple[str, int] | None:
    """``(type name, numeric id)`` or None when ``value`` is not one of our IDs."""
    try:
        type_name, raw = from_base64(value)
    except Exception:
        return None
    if not raw.isdigit() or len(raw) > 18:
        return None
    return type_name, int(raw)


def local_id(value: str, type_name: str, field: str = "id") -> int:
    """The numeric id inside a global ID of ``type_name``, else :class:`UnknownReference`."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        raise UnknownReference(f"no {type_name} with this ID", field=field)
    return parsed[1]


def _cursor(object_id: int) -> str:
    return to_base64("cursor", object_id)


def after_id(after: str | None) -> int | None:
    if after is None:
        return None
    parsed = parse_global_id(after)
    if parsed is None or parsed[0] != "cursor":
        raise GraphQLError(
            "'after' is not a cursor from this API", extensions={"code": "BAD_USER_INPUT"}
        )
    return parsed[1]


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without their cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(
    load: Callable[[int | None], Page[R]],
    after: str | None,
    convert: Callable[[R], T],
    key: Callable[[R], int],
) -> Connection[T]:
    """Run ``load(after_id)`` and turn the page into a connection."""
    try:
        page = load(after_id(after))
    except InvalidInput as exc:
        raise GraphQLError(
            exc.description, extensions={"code": "BAD_USER_INPUT", "field": exc.field}
        ) from None
    edges = [Edge(cursor=_cursor(key(row)), node=convert(row)) for row in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
