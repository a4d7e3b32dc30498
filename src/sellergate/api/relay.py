"""Relay: global object IDs and cursor connections (``edges { cursor node }``, ``pageInfo``).

A global ID is Strawberry's :class:`~strawberry.relay.GlobalID`, ``base64("<Type>:<id>")``; a
cursor is ``base64("cursor:<id>")``, made by :class:`strawberry.relay.Edge`. Neither is a
secret, and a malformed one is treated like an unknown one: nothing is revealed about other
sellers' objects.

``PageInfo`` and ``Edge`` are Strawberry's own, with the descriptions of our published schema.
Two parts stay ours, because taking Strawberry's would change ``schema.graphql``:

- ``Node``: ``strawberry.relay.Node`` prints its own descriptions (on the interface and on the
  ``id`` of every type that implements it), and an interface derived from it under the name
  ``Node`` is a second type of that name, which Strawberry refuses.
- ``Connection``: ``strawberry.relay.Connection`` declares ``pageInfo`` before ``edges``, and a
  subclass keeps its fields in that order, so the printed connections would change. Its
  ``relay.connection`` field would also add ``before`` and ``last`` arguments that our keyset
  pagination does not offer. Ours builds itself from a keyset :class:`Page` instead
  (:meth:`Connection.from_page`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay

from sellergate.errors import InvalidInput, UnknownReference
from sellergate.shop.pagination import Page

# Named like Strawberry's own type variable: a generic type is specialised by the names of
# its type variables, and ``Connection[Order]`` must reach the ``node`` of ``Edge``. Unlike
# Strawberry's, it is not bound to ``strawberry.relay.Node`` (see above).
NodeType = TypeVar("NodeType")
R = TypeVar("R")

CURSOR_TYPE = "cursor"


@strawberry.interface(description="An object with a global ID, fetchable with `node(id:)`.")
class Node:
    id: relay.GlobalID


def node_id(type_name: str, object_id: int) -> relay.GlobalID:
    """The ``id`` of a node; it prints as ``base64("<Type>:<id>")``."""
    return relay.GlobalID(type_name, str(object_id))


def global_id(type_name: str, object_id: int) -> str:
    """The global ID as clients see it."""
    return str(node_id(type_name, object_id))


def parse_global_id(value: str) -> tuple[str, int] | None:
    """``(type name, numeric id)`` or None when ``value`` is not one of our IDs."""
    try:
        parsed = relay.GlobalID.from_id(value)
    except relay.GlobalIDValueError:
        return None
    raw = parsed.node_id
    if not raw.isdigit() or len(raw) > 18:
        return None
    return parsed.type_name, int(raw)


def local_id(value: str, type_name: str, field: str = "id") -> int:
    """The numeric id inside a global ID of ``type_name``, else :class:`UnknownReference`."""
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        raise UnknownReference(f"no {type_name} with this ID", field=field)
    return parsed[1]


def after_id(after: str | None) -> int | None:
    if after is None:
        return None
    parsed = parse_global_id(after)
    if parsed is None or parsed[0] != CURSOR_TYPE:
        raise GraphQLError(
            "'after' is not a cursor from this API", extensions={"code": "BAD_USER_INPUT"}
        )
    return parsed[1]


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo(relay.PageInfo):
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(relay.Edge[NodeType]):  # type: ignore[type-var]
    cursor: str
    node: NodeType

    CURSOR_PREFIX: ClassVar[str] = CURSOR_TYPE


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of this page, without their cursors.")
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]

    @classmethod
    def from_page(
        cls, page: Page[R], convert: Callable[[R], NodeType], key: Callable[[R], int]
    ) -> Connection[NodeType]:
        edges = [Edge.resolve_edge(convert(item), cursor=key(item)) for item in page.items]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


def connection(
    load: Callable[[int | None], Page[R]],
    after: str | None,
    convert: Callable[[R], NodeType],
    key: Callable[[R], int],
) -> Connection[NodeType]:
    """Run ``load(after_id)`` (a keyset page of the shop) and turn the page into a connection."""
    try:
        page = load(after_id(after))
    except InvalidInput as exc:
        raise GraphQLError(
            exc.description, extensions={"code": "BAD_USER_INPUT", "field": exc.field}
        ) from None
    return Connection.from_page(page, convert, key)
