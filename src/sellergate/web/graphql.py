"""``/seller-api/graphql``: the Seller API over HTTP.

A plain Starlette endpoint, no framework machinery on the hot path: read the body (bounded),
check the bearer token, then run the whole operation synchronously with one database session:
at most a single hop off the event loop, and none for reads on the embedded SQLite file.
"""

from __future__ import annotations

import json
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from sellergate.accounts.bearer import BearerVerifier, credentials_from_header
from sellergate.api.context import ApiContext
from sellergate.config import Settings
from sellergate.errors import InvalidToken
from sellergate.storage.database import Database
from sellergate.web.body import BodyTooLarge, read_limited
from sellergate.web.dbcall import DatabaseCalls
from sellergate.web.errors import invalid_token_response
from sellergate.web.graphiql import GRAPHIQL_HTML


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=status)


def _may_write(query: str) -> bool:
    """Whether to take the write lock up front (SQLite): a deferred transaction that turns
    into a writer can fail on a concurrent write. A plain substring test is enough: a read that
    merely mentions the word only waits for the lock."""
    return "mutation" in query


class GraphQLEndpoint:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        verifier: BearerVerifier,
        schema: strawberry.Schema,
    ) -> None:
        self.settings = settings
        self.db = db
        self.verifier = verifier
        self.schema = schema
        self.calls = DatabaseCalls(db)

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            if not self.settings.graphiql_enabled:
                return _error("GraphiQL is disabled; POST GraphQL requests here", 405)
            return HTMLResponse(GRAPHIQL_HTML)
        if "access_token" in request.query_params:
            return invalid_token_response(
                InvalidToken("tokens are accepted only in the Authorization header")
            )
        try:
            token = credentials_from_header(request.headers.get("authorization"))
            self.verifier.check_offline(token)
        except InvalidToken as exc:
            return invalid_token_response(exc)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _error("send the operation as JSON (Content-Type: application/json)", 415)
        try:
            body = await read_limited(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            return _error(f"request body exceeds {self.settings.max_body_bytes} bytes", 413)
        try:
            payload = json.loads(body)
        except ValueError:
            return _error("request body is not valid JSON", 400)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _error("the body must be a JSON object with a 'query' string", 400)
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _error("'variables' must be a JSON object", 400)
        operation = payload.get("operationName")
        if operation is not None and not isinstance(operation, str):
            return _error("'operationName' must be a string", 400)
        query: str = payload["query"]
        write = _may_write(query)
        return await self.calls.run(write, self._execute, token, query, variables, operation, write)

    def _execute(
        self,
        token: str,
        query: str,
        variables: dict[str, Any] | None,
        operation: str | None,
        write: bool,
    ) -> Response:
        with self.db.session(write=write) as session:
            try:
                auth = self.verifier.lookup(token, session.connection())
            except InvalidToken as exc:
                return invalid_token_response(exc)
            context = ApiContext(auth=auth, session=session, settings=self.settings)
            result = self.schema.execute_sync(
                query, variable_values=variables, operation_name=operation, context_value=context
            )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return JSONResponse(body)
