"""Protection against expensive documents, with Strawberry's own extensions.

Depth, alias and token limits refuse a document before it runs; parse and validation results
are cached (bounded LRU, shared across requests); introspection is off in production unless
``SELLERGATE_GRAPHQL_INTROSPECTION`` turns it on.

Extensions are made per request (factories), but the validation rules are built once: the
validation cache is keyed by the rule classes, and the limiters would otherwise make new
classes on every request and never hit it.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ASTValidationRule
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

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 2_000
CACHE_SIZE = 512


def extensions(*, introspection: bool) -> list[Callable[[], SchemaExtension]]:
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    if not introspection:
        rules += DisableIntrospection().validation_rules
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
    ]
