"""``/seller-api/graphql``: the Seller API over HTTP.

A plain Starlette endpoint, no framework machinery on the hot path: read the body (bounded),
check the bearer token, then run the whole operation synchronously on one database connection:
at most a single hop off the event loop, and none for cheap reads on the embedded SQLite file
(an operation whose cost, :mod:`sellergate.api.cost`, passes :data:`INLINE_COST` runs in a
worker thread, so it cannot stall other requests). A query that reads only what the bearer
check found (``me``, see :mod:`sellergate.api.offline`) runs on the event loop with no
connection once its lookup is done; on PostgreSQL that lookup is batched with other requests'
(:mod:`sellergate.web.lookups`).

Errors: what the client got wrong (syntax, validation, a missing scope, a bad ID) keeps its
message; anything else raised by a resolver becomes a generic message with a reference, logged
once with its stack; a database fault becomes a 503 for the whole request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode, OperationType, parse
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sellergate import strictjson
from sellergate.accounts.bearer import AuthContext, BearerVerifier
from sellergate.api.cache import DocumentCache
from sellergate.api.context import ApiContext
from sellergate.api.cost import operation_cost
from sellergate.api.execution import Operations
from sellergate.api.limits import MAX_TOKENS
from sellergate.api.offline import needs_database
from sellergate.config import Settings
from sellergate.errors import (
    BadRequest,
    InternalError,
    InvalidDPoPProof,
    InvalidToken,
    SellergateError,
)
from sellergate.oauth.dpop import Proof
from sellergate.storage.database import Database
from sellergate.storage.faults import is_fault
from sellergate.strictjson import LoneSurrogate
from sellergate.web.body import BodyTooLarge, nesting_exceeds, read_limited
from sellergate.web.credentials import Presented, presented
from sellergate.web.dbcall import DatabaseCalls
from sellergate.web.dpop import DPoPChecker, binding_problem
from sellergate.web.errors import (
    Shape,
    error_body,
    error_response,
    invalid_token_response,
    log_internal_error,
    new_error_id,
)
from sellergate.web.graphiql import graphiql_page
from sellergate.web.lookups import BearerLookups

# Operations cheaper than this run on the event loop for reads on SQLite (microseconds);
# anything dearer goes to a worker thread.
INLINE_COST = 2_000
PATH = "/seller-api/graphql"
# JSON nesting allowed in a request body: far more than any real variables need.
MAX_JSON_DEPTH = 32


# An operation's cost, why it cannot run (or None), and whether it needs no database.
Plan = tuple[int, str | None, bool]


@dataclass(frozen=True, slots=True)
class _Call:
    """What a request asks to run, and with what credentials: checked so far, not yet run."""

    token: Presented
    proof: Proof | None
    query: str
    variables: dict[str, Any] | None
    operation: str | None


def _error(message: str, status: int) -> Response:
    return error_response(BadRequest(message, status=status), Shape.GRAPHQL)


def _may_write(query: str) -> bool:
    """Whether to take the write lock up front (SQLite): a deferred transaction that turns
    into a writer can fail on a concurrent write. A plain substring test is enough: a read that
    merely mentions the word only waits for the lock."""
    return "mutation" in query


def _shown_to_client(error: GraphQLError) -> bool:
    """Errors of the client's own making: syntax, validation, refused scopes, bad input."""
    original = error.original_error
    return original is None or isinstance(original, GraphQLError | SellergateError)


class GraphQLEndpoint:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        verifier: BearerVerifier,
        operations: Operations,
        dpop: DPoPChecker | None = None,
        lookups: BearerLookups | None = None,
    ) -> None:
        self.settings = settings
        self.dpop = dpop or DPoPChecker(settings, db)
        self.url = settings.public_url + PATH
        self.db = db
        self.verifier = verifier
        self.operations = operations
        self.calls = DatabaseCalls(db)
        self.lookups = lookups or BearerLookups(db, verifier, coalesce=settings.coalesce_lookups)
        self.plans: DocumentCache[tuple[str, str | None], Plan] = DocumentCache()

    async def handle(self, request: Request) -> Response:
        if request.method == "GET":
            if not self.settings.graphiql_enabled:
                return _error("GraphiQL is disabled; POST GraphQL requests here", 405)
            return graphiql_page()
        try:
            token = presented(request.headers, request.query_params, self.verifier)
        except InvalidToken as exc:
            return invalid_token_response(exc)
        proof = None
        if token.dpop:
            try:
                proof = await self._proof(request, token.token)
            except InvalidDPoPProof as exc:
                return self.dpop.challenge(exc)
        if not request.headers.get("content-type", "").startswith("application/json"):
            return _error("send the operation as JSON (Content-Type: application/json)", 415)
        try:
            body = await read_limited(request, self.settings.max_body_bytes)
        except BodyTooLarge:
            return _error(f"request body exceeds {self.settings.max_body_bytes} bytes", 413)
        try:
            payload = strictjson.loads(body)
            if nesting_exceeds(payload, MAX_JSON_DEPTH + 1, body):
                raise RecursionError
        except RecursionError:
            return _error(f"the request body nests deeper than {MAX_JSON_DEPTH} levels", 400)
        except LoneSurrogate as exc:
            return _error(str(exc), 400)
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
        if not query.strip():
            return _error("the 'query' is empty", 400)
        key = (query, operation)
        planned = self.plans.get(key)
        # Worked out again until a request with this document authenticates: a made-up token
        # cannot fill the cache (the work is linear in the document, see api.cost).
        plan = planned if planned is not None else self._plan(query, operation)
        cost, problem, offline = plan
        if problem is not None:
            return _error(problem, 400)
        call = _Call(token, proof, query, variables, operation)
        if _may_write(query):
            response = await self.calls.write(True, self._write, call)
        elif offline:
            response = await self._offline(call)
        else:
            response = await self.calls.read(cost > INLINE_COST, self._read, call)
        if planned is None and response.status_code != 401:
            self.plans.put(key, plan, len(query))
        return response

    async def _proof(self, request: Request, token: str) -> Proof:
        """RFC 9449 §7.1: the proof that must come with a DPoP-scheme token, checked and
        spent before the token is looked up."""
        proof = self.dpop.verify(request.headers, "POST", self.url, token)
        if proof is None:
            raise InvalidDPoPProof("the DPoP scheme needs a DPoP proof header")
        await self.calls.write(False, self.dpop.remember, proof)
        return proof

    def _plan(self, query: str, operation: str | None) -> Plan:
        """The cost of the operation to run and, if ``operationName`` cannot pick one, why;
        and whether it needs no database. A document that does not parse costs 0: the schema
        reports it, cheaply."""
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return 0, None, False
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation is not None:
            operations = [d for d in operations if d.name and d.name.value == operation]
            if not operations:
                return 0, "'operationName' names no operation in the document", False
        elif len(operations) > 1:
            return 0, "the document holds several operations: name one in 'operationName'", False
        if not operations:
            return 0, "the document holds no operation to run", False
        if operations[0].operation is OperationType.SUBSCRIPTION:
            return 0, "only queries and mutations are served here", False
        schema = self.operations.graphql_schema
        cost = operation_cost(schema, operations[0], document.definitions)
        return cost, None, not needs_database(operations[0], document.definitions)

    async def _offline(self, call: _Call) -> Response:
        """A query that reads only what the bearer check found (``me``): the lookup (on
        PostgreSQL batched with other requests', one hop and one statement for all, see
        ``web.lookups``), then the operation on the event loop, with no connection."""
        auth = await self.lookups.lookup(call.token.token)
        return self._run(auth, call, offline=True)

    def _read(self, connection: Connection, call: _Call) -> Response:
        """A query: the bearer lookup and the operation on one connection, with an ORM session
        over it only if a resolver asks for one."""
        return self._run(self._lookup(call.token, connection), call, connection=connection)

    def _write(self, call: _Call) -> Response:
        with self.db.session(write=True) as session:
            auth = self._lookup(call.token, session.connection())
            # Inside the session: a database fault raised again here rolls it back.
            return self._run(auth, call, session=session)

    def _lookup(self, token: Presented, connection: Connection) -> AuthContext | InvalidToken:
        try:
            return self.verifier.lookup(token.token, connection)
        except InvalidToken as exc:
            return exc

    def _run(self, auth: AuthContext | InvalidToken, call: _Call, **database: Any) -> Response:
        """The operation for a caller the bearer check let in, or the answer that refuses it;
        ``database`` is the context's access to the database (see :class:`ApiContext`)."""
        if isinstance(auth, InvalidToken):
            return invalid_token_response(auth)
        problem = binding_problem(auth, call.token.dpop, call.proof)
        if problem is not None:
            return self.dpop.challenge(problem)
        context = ApiContext(auth, self.settings, **database)
        result = self.operations.execute(call.query, call.variables, call.operation, context)
        return self._response(result)

    def _response(self, result: ExecutionResult) -> Response:
        errors = [self._public(error) for error in result.errors or ()]
        body: dict[str, Any] = {"data": result.data}
        if errors:
            body["errors"] = errors
        return JSONResponse(body)

    def _public(self, error: GraphQLError) -> dict[str, Any]:
        """What the client may see of an error. A database fault is raised again, while the
        request still holds its connection (a transaction rolls back), and the whole request
        becomes a 503."""
        original = error.original_error
        if original is not None and is_fault(original):
            raise original
        if _shown_to_client(error):
            return dict(error.formatted)
        error_id = new_error_id()
        log_internal_error(error_id, original or error, "/seller-api")
        formatted: dict[str, Any] = error_body(InternalError(error_id), Shape.GRAPHQL)["errors"][0]
        if error.path:
            formatted["path"] = error.path
        return formatted
