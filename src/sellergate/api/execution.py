"""Running one Seller API operation: graphql-core on a parsed, validated, cached document.

Strawberry's ``Schema.execute_sync`` builds an extension runner, a middleware manager and an
execution context for every request; for ``{ me { id username } }`` that machinery cost more
than the execution itself (100 µs against 40 µs). The request path therefore calls graphql-core
directly on Strawberry's schema, with the same protections as the schema's extensions
(:mod:`sellergate.api.limits`): the token limit while parsing, the depth, alias, cost and
introspection rules while validating. A query's parse and validation outcome, errors included,
is cached (:class:`sellergate.api.cache.DocumentCache`, bounded by entries and bytes): clients
send the same few documents over and over. Only authenticated requests get this far.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import Any, TypeGuard, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    execute,
    parse,
    specified_rules,
    validate,
)
from strawberry.execution.is_awaitable import optimized_is_awaitable

from sellergate.api.cache import DocumentCache
from sellergate.api.cost import MAX_EXPANDED_FIELDS, expanded_fields
from sellergate.api.limits import DEFAULT_MAX_COST, MAX_TOKENS, validation_rules
from sellergate.api.schema import SellerApiSchema


class Operations:
    """Parses, validates and runs operations against one schema; one per process."""

    def __init__(
        self, schema: SellerApiSchema, *, introspection: bool, max_cost: int = DEFAULT_MAX_COST
    ) -> None:
        self.schema = schema
        self.graphql_schema = schema._schema
        self._rules = [
            *specified_rules,
            *validation_rules(introspection=introspection, max_cost=max_cost),
        ]
        self._executor_class = schema.execution_context_class
        self.prepared: DocumentCache[str, DocumentNode | list[GraphQLError]] = DocumentCache()

    def prepare(self, query: str) -> DocumentNode | list[GraphQLError]:
        """The validated document, or the errors that refuse it, cached."""
        prepared = self.prepared.get(query)
        if prepared is None:
            prepared = self._prepare(query)
            self.prepared.put(query, prepared, len(query))
        return prepared

    def _prepare(self, query: str) -> DocumentNode | list[GraphQLError]:
        """The validated document, or the errors that refuse it."""
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return [error]
        # Before the validation rules, some of which spread every fragment out.
        if (size := expanded_fields(document.definitions)) > MAX_EXPANDED_FIELDS:
            return [
                GraphQLError(
                    f"the document expands to {size} fields with its fragments spread in, "
                    f"more than the limit of {MAX_EXPANDED_FIELDS}",
                    extensions={"code": "QUERY_TOO_COSTLY", "limit": MAX_EXPANDED_FIELDS},
                )
            ]
        errors = validate(self.graphql_schema, document, self._rules)
        if errors:
            # As Strawberry would: the schema's hook (no "Did you mean ...?" in production).
            self.schema.process_errors(errors)
            return errors
        return document

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation: str | None,
        context: object,
    ) -> ExecutionResult:
        prepared = self.prepare(query)
        if isinstance(prepared, list):
            return ExecutionResult(data=None, errors=prepared)
        result = execute(
            self.graphql_schema,
            prepared,
            context_value=context,
            variable_values=variables,
            operation_name=operation,
            executor_class=self._executor_class,
            # Strawberry's cheaper test, typed as a plain predicate.
            is_awaitable=cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable),
        )
        # Every resolver is synchronous; an awaitable here would be a programming error.
        if isawaitable(result) or not isinstance(result, ExecutionResult):
            raise TypeError("a Seller API operation did not complete synchronously")
        if result.errors:
            self.schema.process_errors(result.errors)
        return result
