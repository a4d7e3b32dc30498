"""The cost of a GraphQL operation: an upper bound on the values its response can hold.

Every field costs 1, times how many times it can appear: a paginated connection field
(``first``/``last``) multiplies what is selected under it by its page size (the literal
argument, else the schema's default, capped at the server's maximum page; a variable counts as
the maximum, since validation runs before variables are known); its ``edges`` and ``nodes``
lists are that page, not a further multiple; any other list field multiplies by
:data:`LIST_ESTIMATE`. Aliases are counted like any other field, fragments where they are
spread (each fragment is costed once per document and its cost reused wherever it is spread, so
a document that spreads fragments into each other costs its size to work out, not 2^depth),
and every inline fragment of an abstract selection as if it applied. Introspection
fields (``__schema``, ``__type``, ...) are free: they read nothing but the schema.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    DefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from sellergate.shop.pagination import MAX_PAGE_SIZE

# Items assumed in a list that is not paginated (an order's line items, a product's variants).
LIST_ESTIMATE = 10
PAGE_ARGUMENTS = ("first", "last")


class _Costing:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.costs: dict[str, int] = {}
        # Fragments being costed: a spread of one of them is a cycle, which validation refuses.
        self.active: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if node is None:
            return 0
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                scope = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, scope)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        """A named fragment's cost, worked out once: it only depends on the fragment."""
        if (known := self.costs.get(name)) is not None:
            return known
        fragment = self.fragments.get(name)
        if fragment is None or name in self.active:  # unknown or cyclic: validation says so
            return 0
        self.active.add(name)
        scope = self.schema.get_type(fragment.type_condition.name.value)
        cost = self.costs[name] = self.selection_set(fragment.selection_set, scope)
        self.active.discard(name)
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        definition = None
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            definition = parent.fields.get(name)
        if definition is None:  # not in the schema: validation refuses the document anyway
            return 1 + self.selection_set(node.selection_set, None)
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        size = 1
        if any(argument in definition.args for argument in PAGE_ARGUMENTS):
            size = self.page_size(node, definition.args)
        elif isinstance(field_type, GraphQLList) and not _is_connection(parent):
            size = LIST_ESTIMATE
        children = self.selection_set(node.selection_set, get_named_type(field_type))
        return 1 + size * children

    @staticmethod
    def page_size(node: FieldNode, arguments: dict[str, object]) -> int:
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        for name in PAGE_ARGUMENTS:
            if name in given:
                value = given[name]
                if isinstance(value, IntValueNode):
                    return max(0, min(int(value.value), MAX_PAGE_SIZE))
                return MAX_PAGE_SIZE
        for name in PAGE_ARGUMENTS:
            default = getattr(arguments.get(name), "default_value", None)
            if isinstance(default, int):
                return min(default, MAX_PAGE_SIZE)
        return MAX_PAGE_SIZE


def _is_connection(parent: GraphQLNamedType | None) -> bool:
    return parent is not None and parent.name.endswith("Connection")


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    definitions: Iterable[DefinitionNode],
) -> int:
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    root = schema.get_root_type(operation.operation)
    return _Costing(schema, fragments).selection_set(operation.selection_set, root)


# Fields a document may hold once its fragments are spread in: far more than any real operation,
# and few enough that the validation rules that expand fragments (depth, overlapping fields)
# stay cheap. A fragment-spread bomb expands to 2^levels fields in a few hundred bytes.
MAX_EXPANDED_FIELDS = 5_000


def expanded_fields(definitions: Iterable[DefinitionNode]) -> int:
    """How many fields the document's operations hold with every fragment spread in, counted
    with each fragment worked out once (so this costs the document's size, whatever it
    expands to)."""
    listed = list(definitions)
    fragments = {d.name.value: d for d in listed if isinstance(d, FragmentDefinitionNode)}
    counts: dict[str, int] = {}
    active: set[str] = set()

    def count(node: SelectionSetNode | None) -> int:
        total = 0
        for selection in node.selections if node is not None else ():
            if isinstance(selection, FieldNode):
                total += 1 + count(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += count(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += spread(selection.name.value)
        return total

    def spread(name: str) -> int:
        if (known := counts.get(name)) is not None:
            return known
        fragment = fragments.get(name)
        if fragment is None or name in active:
            return 0
        active.add(name)
        counts[name] = count(fragment.selection_set)
        active.discard(name)
        return counts[name]

    return sum(count(d.selection_set) for d in listed if isinstance(d, OperationDefinitionNode))
