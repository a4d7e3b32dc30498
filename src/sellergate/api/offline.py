"""Which operations need no database: those that read only what the bearer check found.

``{ me { id username } }`` is answered from the caller's :class:`AuthContext` (the lookup
already read the seller's name), so once the token is checked it can run without a connection,
on the event loop. Anything this module does not know to be so needs the database: the list
below is of fields whose resolvers read nothing but the context, and a mistake here fails
safe only in one direction, so it stays short and explicit.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    DefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
)

# (type, field) -> the type of its value, for the fields resolved from the AuthContext alone;
# None for a leaf.
_FROM_CONTEXT: dict[tuple[str, str], str | None] = {
    ("Query", "__typename"): None,
    ("Query", "me"): "Seller",
    ("Seller", "__typename"): None,
    ("Seller", "id"): None,
    ("Seller", "username"): None,
}


def needs_database(
    operation: OperationDefinitionNode, definitions: Iterable[DefinitionNode]
) -> bool:
    """Whether running ``operation`` may read or write the database."""
    if operation.operation is not OperationType.QUERY:
        return True
    fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    return not _Walk(fragments).from_context("Query", operation.selection_set)


class _Walk:
    """Each fragment is judged once, however often it is spread: a document that spreads
    fragments within fragments (a "fragment bomb") costs its length, not its expansion."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        # A fragment's verdict; False while it is being judged, so a cycle ends there.
        self.judged: dict[str, bool] = {}

    def from_context(self, type_name: str, selections: SelectionSetNode | None) -> bool:
        if selections is None:
            return False
        return all(self._selection(type_name, s) for s in selections.selections)

    def _selection(self, type_name: str, selection: SelectionNode) -> bool:
        if isinstance(selection, FieldNode):
            key = (type_name, selection.name.value)
            if key not in _FROM_CONTEXT or selection.arguments:
                return False
            inner = _FROM_CONTEXT[key]
            if inner is None:
                return selection.selection_set is None
            return self.from_context(inner, selection.selection_set)
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None and condition.name.value != type_name:
                return False
            return self.from_context(type_name, selection.selection_set)
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in self.judged:
                fragment = self.fragments.get(name)
                self.judged[name] = False  # unknown or cyclic: validation will say so
                if fragment is not None and fragment.type_condition.name.value == type_name:
                    self.judged[name] = self.from_context(type_name, fragment.selection_set)
            return self.judged[name]
        return False
