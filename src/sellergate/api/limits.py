"""Protection against expensive documents, with Strawberry's own extensions.

Depth, alias and token limits, and a cost limit (:mod:`sellergate.api.cost`), refuse a
document before it runs; parse and validation results
are cached (bounded LRU, shared across requests); introspection is off in production unless
``SELLERGATE_GRAPHQL_INTROSPECTION`` turns it on.

Extensions are made per request (factories), but the validation rules are built once: the
validation cache is keyed by the rule classes, and the limiters would otherwise make new
classes on every request and never hit it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    SKIP,
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from sellergate.api.cost import operation_cost

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2_000
CACHE_SIZE = 512
DEFAULT_MAX_COST = 20_000


def cost_limit(max_cost: int) -> type[ASTValidationRule]:
    """A validation rule refusing each operation whose cost exceeds ``max_cost``."""

    class CostLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> object:
            for definition in node.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                cost = operation_cost(self.context.schema, definition, node.definitions)
                if cost > max_cost:
                    self.report_error(
                        GraphQLError(
                            f"query cost {cost} exceeds the limit of {max_cost}: ask for "
                            "smaller pages (first), fewer nested lists or fewer fields",
                            definition,
                            extensions={
                                "code": "QUERY_TOO_COSTLY",
                                "cost": cost,
                                "limit": max_cost,
                            },
                        )
                    )
            return SKIP

    return CostLimit


def validation_rules(
    *, introspection: bool, max_cost: int = DEFAULT_MAX_COST
) -> list[type[ASTValidationRule]]:
    """The rules that refuse an expensive document, on top of the specification's own."""
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
        cost_limit(max_cost),
    ]
    if not introspection:
        rules += DisableIntrospection().validation_rules
    return rules


def extensions(
    *, introspection: bool, max_cost: int = DEFAULT_MAX_COST
) -> list[Callable[[], SchemaExtension]]:
    """The same limits as Strawberry extensions, for ``Schema.execute_sync`` (the request path
    runs graphql-core directly: :mod:`sellergate.api.execution`)."""
    rules = validation_rules(introspection=introspection, max_cost=max_cost)
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
